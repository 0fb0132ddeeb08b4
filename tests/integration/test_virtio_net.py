#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""virtio-net end to end, with the test guest's own small stack:
- user-mode NAT (libslirp): the guest gets 10.0.2.15 by DHCP, pings the
  gateway, fetches a page from an HTTP server on the host, and a host client
  reaches a guest TCP server through a forwarded port;
- TAP (needs root): two VMs on a bridge in a network namespace of our own ping
  each other, and the host side pings a guest."""
import http.server
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import harness as h


def fnv1a(data):
    x = 0xCBF29CE484222325
    for b in data:
        x = ((x ^ b) * 0x100000001B3) & ((1 << 64) - 1)
    return x


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


h.require_kvm()

# --- user-mode NAT -----------------------------------------------------------
www = tempfile.mkdtemp(prefix="vessel-www-")
page = os.urandom(20000)
with open(os.path.join(www, "page.bin"), "wb") as f:
    f.write(page)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=www, **kw)

    def log_message(self, *a):
        pass


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
http_port = httpd.server_address[1]
fwd_port = free_port()

vm = h.Vm("--net", f"user,hostfwd=tcp::{fwd_port}-:7", memory="128M",
          cmdline="console=ttyS0 run=net,dhcp,ping:10.0.2.2:3,"
                  f"tcpget:10.0.2.2:{http_port}:/page.bin,tcpserve:7:30,poweroff")
ok = h.check(vm.expect(r"^tcpserve\.listening=7", timeout=120) is not None, "the guest listens on port 7")
echoed = b""
if ok:
    msg = os.urandom(3000)
    try:
        with socket.create_connection(("127.0.0.1", fwd_port), timeout=20) as c:
            c.sendall(msg)
            c.shutdown(socket.SHUT_WR)
            while True:
                d = c.recv(65536)
                if not d:
                    break
                echoed += d
    except OSError as e:
        print(f"  host client: {e}")
    ok &= h.check(echoed == msg, f"hostfwd: a host client's 3000 bytes came back ({len(echoed)})")
status = vm.wait(60)
v = vm.values()
ok &= h.check(status == h.STATUS_POWEROFF, f"exit status {status} == 0")
ok &= h.check(v.get("dhcp.ip") == "10.0.2.15", f"DHCP lease 10.0.2.15 ({v.get('dhcp.ip')})")
ok &= h.check(v.get("ping.ok") == "1", "ping the slirp gateway")
ok &= h.check(v.get("tcpget.status") == "200" and v.get("tcpget.fnv1a") == "0x%x" % fnv1a(page),
              f"HTTP GET from the host: status {v.get('tcpget.status')}, body intact")
ok &= h.check(v.get("tcpserve.ok") == "1", "the guest's TCP server saw the connection through")
if not ok:
    vm.dump()
httpd.shutdown()
shutil.rmtree(www)

# --- TAP on a bridge, in a namespace of our own --------------------------------
NS = f"vessel-t{os.getpid() % 100000}"
if os.geteuid() != 0 or not shutil.which("ip"):
    print("  skip: TAP checks need root and iproute2")
    h.finish("user-mode networking works (TAP part skipped: not root)")


def ns(*cmd):
    return subprocess.run(["ip", "netns", "exec", NS] + list(cmd), capture_output=True, text=True)


subprocess.run(["ip", "netns", "add", NS], check=True)
try:
    ns("ip", "link", "set", "lo", "up")
    ns("ip", "link", "add", "br0", "type", "bridge")
    ns("ip", "addr", "add", "10.77.0.1/24", "dev", "br0")
    ns("ip", "link", "set", "br0", "up")
    for t in ("tapa", "tapb"):
        ns("ip", "tuntap", "add", "dev", t, "mode", "tap", "vnet_hdr")
        ns("ip", "link", "set", t, "master", "br0")
        ns("ip", "link", "set", t, "up")
    exe = ["ip", "netns", "exec", NS, h.VESSEL, "run", "--kernel", h.GUEST, "--memory", "128M"]
    a = subprocess.Popen(exe + ["--net", "tap=tapa", "--cmdline", "console=ttyS0 run=ip:10.77.0.2/24,respond:25,poweroff"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(2)
    b = subprocess.run(exe + ["--net", "tap=tapb", "--cmdline", "console=ttyS0 run=ip:10.77.0.3/24,ping:10.77.0.2:5,poweroff"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    host_ping = ns("ping", "-c", "3", "-W", "2", "10.77.0.2")
    out_a = a.communicate(timeout=120)[0]
    ok = h.check("ping.ok=1" in b.stdout, "VM B pings VM A across the bridge")
    ok &= h.check(host_ping.returncode == 0, "the host side pings VM A over TAP")
    ok &= h.check(a.returncode == 0 and b.returncode == 0, f"both VMs power off ({a.returncode}, {b.returncode})")
    if not ok:
        print(out_a[-2000:], b.stdout[-2000:], b.stderr[-1000:], host_ping.stdout)
finally:
    subprocess.run(["ip", "netns", "del", NS])
h.finish()
