#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""virtio-vsock with Firecracker's host interface (docs/vsock.md).

Host-initiated: programs connect to the --vsock uds, write "CONNECT <port>\\n",
read "OK <port>\\n" and exchange 1 MiB each, three at once, with the test
guest's echo server (vsockecho), byte-exact: more than either side's credit,
so flow control works both ways. A port nobody listens on closes the uds
connection; so does a bad handshake line. Guest-initiated: the guest connects
to host port 5000, where a program listens on <uds>_5000, and sends 4 MiB that
come back intact (vsocksend); port 5001 has no listener and the guest sees RST.
A misbehaving guest (vsockbad: a wrong CID, a bad type or op, data for no
connection, a lying length, a flood of requests, more data than its credit, a
malformed chain) gets RST or NEEDS_RESET, and the device keeps answering.
Bad --vsock values and PUT /vsock bodies are refused with one clear line; the
API and the config file configure the device. A snapshot restored in a new
process sends the guest TRANSPORT_RESET: its old connection ends, its
listener takes a new one; so does a live migration, whose source gives the
uds up to the destination."""
import json
import os
import shutil
import socket
import struct
import tempfile
import threading
import time

import harness as h

tmp = tempfile.mkdtemp(prefix="vessel-vsock-")
MIB = 1 << 20


def pattern(n, seed=0):
    words = (n + 3) // 4
    return struct.pack(f"<{words}I", *((seed + i) & 0xffffffff for i in range(words)))[:n]


def uds_connect(path, port, timeout=10.0):
    """Connects to the vsock uds and asks for port: (socket, None) once "OK" came, or (None, why)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(b"CONNECT %d\n" % port)
        line = b""
        while not line.endswith(b"\n"):
            c = s.recv(1)
            if not c:
                s.close()
                return None, f"closed after {line!r}"
            line += c
    except OSError as e:
        s.close()
        return None, str(e)
    if not line.startswith(b"OK "):
        s.close()
        return None, f"answer {line!r}"
    return s, line.decode().strip()


def connect_when_ready(path, port, timeout=30.0):
    """The guest's listener may not be up yet: retry until OK or timeout."""
    deadline = time.monotonic() + timeout
    while True:
        s, why = uds_connect(path, port)
        if s or time.monotonic() > deadline:
            return s, why
        time.sleep(0.2)


def exchange(s, data, timeout=60.0):
    """Sends data (then SHUT_WR) while reading until EOF: (bytes received, seconds)."""
    got = bytearray()
    s.settimeout(timeout)

    def reader():
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got.extend(b)
        except OSError:
            pass

    t0 = time.monotonic()
    th = threading.Thread(target=reader)
    th.start()
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    th.join(timeout)
    dt = time.monotonic() - t0
    s.close()
    return bytes(got), dt


class EchoServer:
    """A host program listening on path: echoes each connection (or, with read=False, never reads)."""

    def __init__(self, path, read=True):
        self.path = path
        self.read = read
        self.echoed = []
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(8)
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.read:
                threading.Thread(target=self._echo, args=(c,), daemon=True).start()

    def _echo(self, c):
        n = 0
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                c.sendall(b)
                n += len(b)
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.echoed.append(n)

    def close(self):
        self.srv.close()
        for c in self.conns:
            c.close()
        os.unlink(self.path)


def kv(text):
    """key=value lines of text (the last value wins)."""
    vals = {}
    for line in text.splitlines():
        k, sep, val = line.strip("\r").partition("=")
        if sep and " " not in k:
            vals[k] = val
    return vals


def stderr_lines(vm):
    return [l for l in vm.err.decode(errors="replace").splitlines() if not l.startswith("vessel: note:")]


# ---- 1. bad --vsock values: one line, status 2 (no VM needed) ----
for arg, want in [
    ("cid=2,uds=/tmp/x", "cid='2'"),
    ("cid=4294967295,uds=/tmp/x", "cid='4294967295'"),
    ("cid=abc,uds=/tmp/x", "cid='abc'"),
    ("uds=/tmp/x", "cid is required"),
    ("cid=3", "uds is required"),
    ("cid=3,uds=", "1 to 96 bytes"),
    ("cid=3,uds=/" + "a" * 100, "1 to 96 bytes"),
    ("cid=3,uds=/tmp/x,port=1", "unknown key 'port'"),
    ("cid=3,cid=4,uds=/tmp/x", "cid given twice"),
    ("cid=3,,uds=/tmp/x", "empty item"),
]:
    status, out, err = h.run_vessel(["run", "--vsock", arg, "--dry-run"])
    lines = [l for l in err.splitlines() if l.strip()]
    h.check(status == h.STATUS_USAGE and len(lines) >= 1 and want in lines[0],
            f"--vsock {arg[:40]}: status 2, '{want}' ({status}: {lines[:1]})")
status, out, err = h.run_vessel(["run", "--vsock", "cid=3,uds=/tmp/a", "--vsock", "cid=4,uds=/tmp/b", "--dry-run"])
h.check(status == h.STATUS_USAGE and "one vsock device" in err, f"two --vsock: status 2 ({status} {err.strip()})")

h.require_kvm()

# A socket path vessel cannot bind: status 1, one line naming it.
bad_dir = os.path.join(tmp, "no-such-dir", "v.sock")
vm = h.Vm("--vsock", f"cid=3,uds={bad_dir}", cmdline="console=ttyS0 run=poweroff")
status = vm.wait(30)
lines = stderr_lines(vm)
h.check(status == h.STATUS_ERROR and len(lines) == 1 and "vsock" in lines[0] and bad_dir in lines[0],
        f"uds in a missing directory: status 1, one line naming it ({status}: {lines})")
regular = os.path.join(tmp, "regular-file")
open(regular, "w").close()
vm = h.Vm("--vsock", f"cid=3,uds={regular}", cmdline="console=ttyS0 run=poweroff")
status = vm.wait(30)
lines = stderr_lines(vm)
h.check(status == h.STATUS_ERROR and len(lines) == 1 and "vsock" in lines[0] and os.path.exists(regular),
        f"uds on a regular file: refused, the file left alone ({status}: {lines})")

# ---- 2. host-initiated: three echo connections at once, a closed port, a bad handshake ----
uds = os.path.join(tmp, "v.sock")
vm = h.Vm("--vsock", f"cid=42,uds={uds}", cmdline="console=ttyS0 run=vsockecho:1234:3,poweroff")
if h.check(vm.expect(r"^vsock\.listening=1234", timeout=60) is not None, "guest echo server listens on 1234"):
    h.check(vm.values().get("vsock.cid") == "42", "the guest reads CID 42 from config space")
    s, why = uds_connect(uds, 4321)
    h.check(s is None and why.startswith("closed"), f"CONNECT to a port nobody listens on: closed ({why})")
    for line in (b"HELLO 1234\n", b"CONNECT -1\n", b"CONNECT 99999999999\n", b"CONNECT " + b"1" * 40):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(5)
        c.connect(uds)
        c.sendall(line)
        try:
            answer = c.recv(64)
        except ConnectionResetError:
            answer = b""        # closed with our unread bytes in it: a reset, also a close
        except OSError as e:
            answer = repr(e).encode()
        c.close()
        h.check(answer == b"", f"handshake {line[:20]!r}...: connection closed without an answer ({answer!r})")
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(10)
    c.connect(uds)
    t0 = time.monotonic()
    try:
        answer = c.recv(64)
    except OSError as e:
        answer = repr(e).encode()
    c.close()
    h.check(answer == b"" and time.monotonic() - t0 < 5,
            f"no handshake line: closed after the timeout ({time.monotonic() - t0:.1f} s, {answer!r})")

    results = [None] * 3
    socks = []
    for i in range(3):
        s, why = connect_when_ready(uds, 1234)
        h.check(s is not None and why.startswith("OK "), f"connection {i}: {why}")
        socks.append(s)

    def run(i):
        results[i] = exchange(socks[i], pattern(MIB, seed=i << 20))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3) if socks[i]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for i in range(3):
        if results[i]:
            got, dt = results[i]
            h.check(got == pattern(MIB, seed=i << 20),
                    f"connection {i}: 1 MiB echoed byte-exact ({len(got)} bytes, {MIB / dt / MIB:.1f} MiB/s)")
    status = vm.wait(60)
    v = vm.values()
    h.check(status == h.STATUS_POWEROFF, f"guest powers off: status 0 (got {status})")
    h.check(v.get("vsock.accepted") == "3" and v.get("vsock.bytes") == str(3 * MIB) and
            v.get("vsock.reset") == "0",
            f"guest accepted 3 connections, echoed 3 MiB, none reset ({v.get('vsock.accepted')}, "
            f"{v.get('vsock.bytes')}, {v.get('vsock.reset')})")
    h.check(v.get("vsock.credit_violations") == "0" and v.get("vsock.ok") == "1",
            "vessel never sent the guest more than its credit")
    h.check(not os.path.exists(uds), "the uds is removed at exit")
    if v.get("vsock.ok") != "1":
        vm.dump()
else:
    vm.dump()
    vm.kill()

# ---- 3. guest-initiated: <uds>_5000 echoes; nobody on 5001 ----
uds = os.path.join(tmp, "g.sock")
srv = EchoServer(uds + "_5000")
vm = h.run_guest(["vsocksend:5000:4096", "vsocksend:5001:16", "poweroff"], "--vsock", f"cid=7,uds={uds}",
                 timeout=120)
text = vm.text
cut = text.find("vsock.ok=")
v1 = kv(text[:cut + len("vsock.ok=1")] if cut >= 0 else text)      # the first command's lines
h.check(v1.get("vsock.ok") == "1" and v1.get("vsock.bytes") == str(4 * MIB),
        f"guest sent 4 MiB to host port 5000 and got them back intact ({v1.get('vsock.bytes')}, "
        f"{v1.get('vsock.mib_s')} MiB/s round trip)")
print(f"  guest -> host -> guest echo: {v1.get('vsock.mib_s')} MiB/s", flush=True)
h.check(srv.echoed[:1] == [4 * MIB], f"the host program echoed 4 MiB ({srv.echoed})")
h.check("vsock.error=connect: connection refused" in text, "connect to port 5001 (no listener): RST, refused")
h.check(vm.status == h.STATUS_POWEROFF, f"guest powers off: status 0 (got {vm.status})")
if "vsock.error=connect: connection refused" not in text or v1.get("vsock.ok") != "1":
    vm.dump()
srv.close()

# ---- 4. a misbehaving guest ----
uds = os.path.join(tmp, "b.sock")
sink = EchoServer(uds + "_6000", read=False)
cases = ["wrong-cid", "bad-type", "bad-op", "no-conn", "bad-len", "flood", "over-credit:6000", "bad-chain",
         "wrong-cid"]
vm = h.run_guest([f"vsockbad:{c}" for c in cases] + ["poweroff"], "--vsock", f"cid=9,uds={uds}", timeout=180)
v = vm.values()
for c in ("wrong-cid", "bad-type", "bad-op", "no-conn", "bad-len"):
    h.check(v.get(f"vsockbad.{c}.rst") == "1" and v.get(f"vsockbad.{c}.alive") == "1" and
            v.get(f"vsockbad.{c}.status") == "0xf",
            f"vsockbad {c}: RST, device still live and answering ({v.get(f'vsockbad.{c}.rst')}, "
            f"{v.get(f'vsockbad.{c}.status')}, {v.get(f'vsockbad.{c}.alive')})")
rsts = int(v.get("vsockbad.flood.rsts", "0"))
h.check(64 <= rsts <= 300 and v.get("vsockbad.flood.alive") == "1",
        f"a flood of 300 REQUESTs: answered with RSTs as buffers allow ({rsts}), then still answering")
h.check(v.get("vsockbad.over-credit.rst") == "1" and v.get("vsockbad.over-credit.alive") == "1",
        f"data beyond the credit to a host program that does not read: RST after "
        f"{v.get('vsockbad.over-credit.sent')} bytes, device still answering")
st = int(v.get("vsockbad.bad-chain.status", "0"), 16)
h.check(st & 0x40 and v.get("vsockbad.bad-chain.recovered") == "1",
        f"a transmit chain with a writable buffer: NEEDS_RESET (0x{st:x}), works after a reset")
h.check(vm.status == h.STATUS_POWEROFF, f"vessel survives it all: guest powers off ({vm.status})")
lines = stderr_lines(vm)
h.check(len(lines) <= 40, f"guest-triggered warnings are rate limited ({len(lines)} lines)")
if vm.status != h.STATUS_POWEROFF or v.get("vsockbad.bad-chain.recovered") != "1":
    vm.dump()
sink.close()

# ---- 5. the API: PUT /vsock before boot ----
if shutil.which("curl"):
    sock = os.path.join(tmp, "api.sock")
    uds = os.path.join(tmp, "api-v.sock")
    vm = h.Vm("--api-sock", sock, kernel=None)
    deadline = time.monotonic() + 10
    while not os.path.exists(sock) and time.monotonic() < deadline:
        time.sleep(0.05)
    for body, want in [
        ({"guest_cid": 2, "uds_path": uds}, "guest_cid"),
        ({"guest_cid": 3}, "missing required field 'uds_path'"),
        ({"uds_path": uds}, "missing required field 'guest_cid'"),
        ({"guest_cid": "3", "uds_path": uds}, "guest_cid"),
        ({"guest_cid": 3, "uds_path": ""}, "uds_path"),
        ({"guest_cid": 3, "uds_path": uds, "vsock_id": "a b"}, "id"),
        ({"guest_cid": 3, "uds_path": uds, "port": 1}, "unknown field 'port'"),
    ]:
        st, data, raw = h.curl(sock, "PUT", "/vsock", body)
        msg = (data or {}).get("fault_message", raw)
        h.check(st == 400 and want in msg, f"PUT /vsock {json.dumps(body)[:60]}: 400 '{want}' ({st} {msg})")
    st, _, raw = h.curl(sock, "PUT", "/vsock", {"guest_cid": 5, "uds_path": uds, "vsock_id": "vsock0"})
    h.check(st == 204, f"PUT /vsock: 204 ({st} {raw})")
    st, data, raw = h.curl(sock, "GET", "/vm/config")
    h.check(st == 200 and (data or {}).get("vsock") == {"guest_cid": 5, "uds_path": uds, "vsock_id": "vsock0"},
            f"GET /vm/config shows the vsock device ({(data or {}).get('vsock')})")
    st, _, raw = h.curl(sock, "PUT", "/boot-source",
                        {"kernel_image_path": h.GUEST, "boot_args": "console=ttyS0 run=vsock,tick:100:600"})
    st2, _, raw2 = h.curl(sock, "PUT", "/actions", {"action_type": "InstanceStart"})
    h.check(st == 204 and st2 == 204, f"boot source and InstanceStart: 204 ({st} {st2} {raw2})")
    h.check(vm.expect(r"^vsock\.ok=1", timeout=60) is not None and vm.values().get("vsock.cid") == "5",
            f"the guest finds the device with CID 5 ({vm.values().get('vsock.cid')})")
    h.check(os.path.exists(uds), "vessel listens on the API's uds_path")
    st, data, raw = h.curl(sock, "PUT", "/vsock", {"guest_cid": 6, "uds_path": uds})
    h.check(st == 400 and "after starting" in raw, f"PUT /vsock after start: 400 ({st} {raw})")
    vm.kill()

# ---- 6. the config file's "vsock" ----
uds = os.path.join(tmp, "cf.sock")
cfg = os.path.join(tmp, "vm.json")
with open(cfg, "w") as f:
    json.dump({"boot-source": {"kernel_image_path": h.GUEST, "boot_args": "console=ttyS0 run=vsock,poweroff"},
               "machine-config": {"vcpu_count": 1, "mem_size_mib": 128},
               "vsock": {"guest_cid": 11, "uds_path": uds}}, f)
vm = h.Vm("--config-file", cfg, kernel=None)
vm.wait(60)
h.check(vm.values().get("vsock.cid") == "11" and vm.status == h.STATUS_POWEROFF,
        f"--config-file with \"vsock\": the guest finds CID 11 ({vm.values().get('vsock.cid')}, {vm.status})")
with open(cfg, "w") as f:
    json.dump({"vsock": {"guest_cid": 1, "uds_path": uds}}, f)
status, out, err = h.run_vessel(["run", "--config-file", cfg, "--dry-run"])
h.check(status != 0 and "guest_cid" in err, f"a config file with guest_cid 1: refused ({status} {err.strip()})")

# ---- 7. snapshot and restore: TRANSPORT_RESET, the old connection ends, the listener goes on ----
if shutil.which("curl"):
    uds = os.path.join(tmp, "s.sock")
    sock = os.path.join(tmp, "snap-api.sock")
    snap = os.path.join(tmp, "snap")
    os.makedirs(snap)
    src = h.Vm("--vsock", f"cid=12,uds={uds}", "--api-sock", sock,
               cmdline="console=ttyS0 run=vsockecho:1234:2,poweroff")
    old = None
    if h.check(src.expect(r"^vsock\.listening=1234", timeout=60) is not None, "snapshot source listens"):
        old, why = connect_when_ready(uds, 1234)
        if h.check(old is not None, f"a connection before the snapshot ({why})"):
            old.sendall(b"before")
            h.check(old.recv(16) == b"before", "it echoes before the snapshot")
        st, _, raw = h.curl(sock, "PATCH", "/vm", {"state": "Paused"})
        st2, _, raw2 = h.curl(sock, "PUT", "/snapshot/create",
                              {"snapshot_type": "Full", "snapshot_path": os.path.join(snap, "vm.state"),
                               "mem_file_path": os.path.join(snap, "vm.mem")}, timeout=120)
        h.check(st == 204 and st2 == 204, f"pause and snapshot: 204 ({st} {st2} {raw2})")
    src.kill()
    if old:
        old.close()
    dst = h.Vm("--restore", snap, kernel=None)
    s, why = connect_when_ready(uds, 1234, timeout=30)
    if h.check(s is not None, f"after restore, vessel listens on the same uds and the guest accepts ({why})"):
        got, dt = exchange(s, pattern(MIB))
        h.check(got == pattern(MIB), f"1 MiB echoed byte-exact after restore ({len(got)} bytes)")
    status = dst.wait(60)
    v = dst.values()
    h.check(v.get("vsock.transport_resets") == "1", f"the guest got TRANSPORT_RESET ({v.get('vsock.transport_resets')})")
    h.check(v.get("vsock.closed") == "2" and v.get("vsock.reset") == "1" and v.get("vsock.ok") == "1",
            f"the connection from before the snapshot ended, the new one went through "
            f"(closed {v.get('vsock.closed')}, reset {v.get('vsock.reset')})")
    h.check(status == h.STATUS_POWEROFF, f"restored guest powers off ({status})")
    if v.get("vsock.ok") != "1":
        dst.dump()

# ---- 8. live migration (on this host): the source lets the uds go, the destination takes it ----
uds = os.path.join(tmp, "m.sock")
sock = os.path.join(tmp, "mig-api.sock")
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
src = h.Vm("--vsock", f"cid=13,uds={uds}", "--api-sock", sock, cmdline="console=ttyS0 run=vsockecho:1234:2,poweroff")
if h.check(src.expect(r"^vsock\.listening=1234", timeout=60) is not None, "migration source listens"):
    old, why = connect_when_ready(uds, 1234)
    if h.check(old is not None, f"a connection before the migration ({why})"):
        old.sendall(b"before")
        h.check(old.recv(16) == b"before", "it echoes before the migration")
    dst = h.Vm("--incoming", f"tcp://127.0.0.1:{port}", kernel=None)
    time.sleep(0.5)
    status, out, err = h.run_vessel(["migrate", "--api-sock", sock, f"tcp://127.0.0.1:{port}"], timeout=120)
    h.check(status == 0, f"vessel migrate: status 0 ({status} {err.strip()[-200:]})")
    if old:
        old.settimeout(10)
        try:
            rest = old.recv(16)
        except OSError:
            rest = b""
        h.check(rest == b"", f"the source closed the old connection when it handed over ({rest!r})")
        old.close()
    s, why = connect_when_ready(uds, 1234, timeout=30)
    if h.check(s is not None, f"the destination listens on the uds and its guest accepts ({why})"):
        got, dt = exchange(s, pattern(MIB))
        h.check(got == pattern(MIB), f"1 MiB echoed byte-exact after the migration ({len(got)} bytes)")
    status = dst.wait(60)
    v = dst.values()
    h.check(v.get("vsock.transport_resets") == "1" and v.get("vsock.closed") == "2" and v.get("vsock.ok") == "1",
            f"the migrated guest got TRANSPORT_RESET and served both connections "
            f"({v.get('vsock.transport_resets')}, {v.get('vsock.closed')})")
    h.check(status == h.STATUS_POWEROFF, f"migrated guest powers off ({status})")
    if v.get("vsock.ok") != "1":
        dst.dump()
    src.wait(30)
else:
    src.dump()
src.kill()

shutil.rmtree(tmp, ignore_errors=True)
h.finish()
