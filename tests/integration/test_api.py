#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The control API (--api-sock): configure and start the test guest through
it, every endpoint, every kind of bad input (each a 4xx with a JSON
fault_message, vessel running on), pause/resume (a paused guest answers
nothing), the vessel shutdown endpoint, stale and live sockets, and
--config-file."""
import json
import os
import shutil
import socket
import tempfile
import time

import harness as h

STATUS_SHUTDOWN_TIMEOUT = 6
MEM_MIB = 128
LEGACY_HOLE = 0x100000 - 0x9FC00

h.require_kvm()
if not shutil.which("curl"):
    h.skip("curl is missing (scripts/setup-deps installs it)")

tmp = tempfile.mkdtemp(prefix="vessel-api-")
SOCK = os.path.join(tmp, "api.sock")


def curl(method, path, body=None, sock=SOCK, extra=()):
    """One request with curl; returns (status, parsed JSON body or None, raw body)."""
    return h.curl(sock, method, path, body, extra)


def raw_http(data, sock=SOCK):
    """Sends bytes as they are; returns the answer's status code and body."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock)
    s.sendall(data)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
            if b"\r\n\r\n" in got:
                head, _, rest = got.partition(b"\r\n\r\n")
                length = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
                          if l.lower().startswith(b"content-length:")]
                if length and len(rest) >= length[0]:
                    break
    except socket.timeout:
        pass
    s.close()
    line = got.split(b"\r\n", 1)[0].decode(errors="replace")
    parts = line.split(" ")
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return code, got.partition(b"\r\n\r\n")[2].decode(errors="replace")


def wait_sock(path, vm, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and vm.proc.poll() is None:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return os.path.exists(path)


def expect_fault(what, got, status=400):
    code, data, raw = got
    h.check(code == status and isinstance(data, dict) and isinstance(data.get("fault_message"), str),
            f"{what}: {status} with a fault_message (got {code} {raw[:160]!r})")
    return data


def expect_ok(what, got, status=204):
    code, data, raw = got
    h.check(code == status, f"{what}: {status} (got {code} {raw[:160]!r})")
    return data


def state(sock=SOCK):
    code, data, _ = curl("GET", "/", sock=sock)
    return data.get("state") if code == 200 and data else None


# ---- 1. Pre-boot: bad input, configuration, InstanceStart ----
vm = h.Vm("--api-sock", SOCK, kernel=None)
if not h.check(wait_sock(SOCK, vm), "vessel --api-sock without --kernel serves the socket"):
    vm.kill()
    vm.dump()
    h.finish()

code, info, _ = curl("GET", "/")
h.check(code == 200 and info == {"id": "anonymous-instance", "state": "Not started",
                                 "vmm_version": info.get("vmm_version") if info else None,
                                 "app_name": "vessel"},
        f"GET / before boot: Not started, app_name vessel ({info})")

expect_fault("InstanceStart without a kernel", curl("PUT", "/actions", {"action_type": "InstanceStart"}))
expect_fault("PATCH /vm before boot", curl("PATCH", "/vm", {"state": "Paused"}))
expect_fault("SendCtrlAltDel before boot", curl("PUT", "/actions", {"action_type": "SendCtrlAltDel"}))
expect_fault("vessel/shutdown before boot", curl("PUT", "/vessel/shutdown", {}))
expect_ok("FlushMetrics", curl("PUT", "/actions", {"action_type": "FlushMetrics"}))
expect_fault("unknown path", curl("GET", "/no/such/thing"), 404)
expect_fault("wrong method", curl("DELETE", "/machine-config"), 405)
expect_fault("GET on a PUT-only route", curl("GET", "/boot-source"), 405)
expect_fault("invalid JSON", curl("PUT", "/machine-config", '{"vcpu_count": 2,'))
expect_fault("JSON that is not an object", curl("PUT", "/machine-config", '[1, 2]'))
expect_fault("trailing garbage after JSON", curl("PUT", "/machine-config",
                                                  '{"vcpu_count": 1, "mem_size_mib": 64} x'))
expect_fault("empty body", curl("PUT", "/boot-source", ""))
d = expect_fault("unknown field", curl("PUT", "/machine-config",
                                       {"vcpu_count": 1, "mem_size_mib": 64, "ht_enabled": False}))
h.check(d and "ht_enabled" in d["fault_message"], "the unknown field is named")
d = expect_fault("wrong type", curl("PUT", "/machine-config", {"vcpu_count": "2", "mem_size_mib": 64}))
h.check(d and "vcpu_count" in d["fault_message"], "the mistyped field is named")
d = expect_fault("missing field", curl("PUT", "/boot-source", {"boot_args": "x"}))
h.check(d and "kernel_image_path" in d["fault_message"], "the missing field is named")
expect_fault("smt true", curl("PUT", "/machine-config", {"vcpu_count": 1, "mem_size_mib": 64, "smt": True}))
expect_fault("bad huge_pages", curl("PUT", "/machine-config",
                                    {"vcpu_count": 1, "mem_size_mib": 64, "huge_pages": "4K"}))
expect_fault("zero vCPUs", curl("PUT", "/machine-config", {"vcpu_count": 0, "mem_size_mib": 64}))
expect_fault("drive id mismatch", curl("PUT", "/drives/a", {"drive_id": "b", "path_on_host": "/x",
                                                             "is_root_device": False}))
expect_fault("bad action", curl("PUT", "/actions", {"action_type": "Reboot"}))
expect_fault("bad MAC", curl("PUT", "/network-interfaces/eth0",
                             {"iface_id": "eth0", "host_dev_name": "tap0", "guest_mac": "zz"}))
expect_fault("oversized body (70 KiB)", curl("PUT", "/boot-source",
                                            '{"kernel_image_path": "' + "x" * 70000 + '"}'), 413)
code, body = raw_http(b"PUT /boot-source HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                      b"10000\r\n" + b"x" * 0x10000 + b"\r\n10\r\n" + b"y" * 16 + b"\r\n0\r\n\r\n")
h.check(code == 413 and "fault_message" in body, f"oversized chunked body: 413 JSON (got {code})")
code, body = raw_http(b"GET / HTTP/1.0\r\n\r\n")
h.check(code == 505 and "fault_message" in body, f"HTTP/1.0: 505 JSON (got {code} {body[:80]!r})")
code, body = raw_http(b"THIS IS NOT HTTP\r\n\r\n")
h.check(400 <= code < 500 or code == 505 or code == 0, f"malformed HTTP: refused (got {code})")
h.check(vm.proc.poll() is None and state() == "Not started", "vessel keeps running after bad input")

# Configuration; drives keep the order they were first PUT.
disk_a = os.path.join(tmp, "a.img")
disk_b = os.path.join(tmp, "b.img")
for path in (disk_a, disk_b):
    with open(path, "wb") as f:
        f.truncate(1 << 20)
cmdline = "console=ttyS0 run=info,smp"
expect_ok("PUT /boot-source", curl("PUT", "/boot-source",
                                   {"kernel_image_path": h.GUEST, "boot_args": cmdline}))
expect_ok("PUT /machine-config", curl("PUT", "/machine-config",
                                      {"vcpu_count": 2, "mem_size_mib": MEM_MIB, "smt": False}))
code, mc, _ = curl("GET", "/machine-config")
h.check(code == 200 and mc == {"vcpu_count": 2, "mem_size_mib": MEM_MIB, "smt": False, "huge_pages": "None"},
        f"GET /machine-config ({mc})")
expect_ok("PUT /drives/rootfs", curl("PUT", "/drives/rootfs", {"drive_id": "rootfs", "path_on_host": disk_a,
                                                               "is_root_device": True, "is_read_only": True}))
expect_ok("PUT /drives/scratch", curl("PUT", "/drives/scratch", {"drive_id": "scratch", "path_on_host": disk_b,
                                                                 "is_root_device": False}))
expect_fault("a second root device", curl("PUT", "/drives/other", {"drive_id": "other", "path_on_host": disk_b,
                                                                  "is_root_device": True}))
expect_ok("PUT /drives/rootfs again", curl("PUT", "/drives/rootfs", {"drive_id": "rootfs", "path_on_host": disk_a,
                                                                     "is_root_device": True}))
code, conf, _ = curl("GET", "/vm/config")
h.check(code == 200 and conf and conf["boot-source"]["kernel_image_path"] == h.GUEST and
        conf["boot-source"]["boot_args"] == cmdline and
        conf["machine-config"]["vcpu_count"] == 2 and
        [d["drive_id"] for d in conf["drives"]] == ["rootfs", "scratch"] and
        conf["drives"][0]["is_read_only"] is False and conf["drives"][0]["is_root_device"] is True,
        f"GET /vm/config holds the configuration, drives in first-PUT order ({conf})")

expect_ok("InstanceStart", curl("PUT", "/actions", {"action_type": "InstanceStart"}))
h.check(vm.expect(r"^smp\.ok=1", timeout=120) is not None, "the guest booted through the API")
v = vm.values()
h.check(v.get("cpus") == "2", f"guest sees cpus=2 (got {v.get('cpus')})")
h.check(int(v.get("mem.total", "0"), 0) == (MEM_MIB << 20) - LEGACY_HOLE,
        f"guest sees {MEM_MIB} MiB (mem.total={v.get('mem.total')})")
h.check(vm.expect(r"guest> ", timeout=60) is not None, "the guest waits in its shell")

# ---- 2. Runtime ----
h.check(state() == "Running", "GET / says Running")
expect_fault("config PUT after boot", curl("PUT", "/machine-config", {"vcpu_count": 1, "mem_size_mib": 64}))
d = expect_fault("drive PUT after boot", curl("PUT", "/drives/x", {"drive_id": "x", "path_on_host": disk_b,
                                                                  "is_root_device": False}))
h.check(d and "after starting" in d["fault_message"], "Firecracker's after-start message")
expect_fault("InstanceStart twice", curl("PUT", "/actions", {"action_type": "InstanceStart"}))
expect_fault("resume a running VM", curl("PATCH", "/vm", {"state": "Resumed"}))
expect_fault("bad state value", curl("PATCH", "/vm", {"state": "Stopped"}))
code, st, _ = curl("GET", "/vessel/status")
h.check(code == 200 and st and st["state"] == "Running" and st["vcpus"] == 2 and
        st["mem_size_mib"] == MEM_MIB and st["pid"] == vm.proc.pid and st["exits"] > 0 and
        st["uptime_ms"] >= 0, f"GET /vessel/status ({st})")
code, conf2, _ = curl("GET", "/vm/config")
h.check(code == 200 and conf2 == conf, "GET /vm/config after boot is unchanged")

expect_ok("pause", curl("PATCH", "/vm", {"state": "Paused"}))
h.check(state() == "Paused", "GET / says Paused")
expect_fault("pause twice", curl("PATCH", "/vm", {"state": "Paused"}))
mark = len(vm.out)
vm.send("echo\r")
vm.send("while paused\r")
vm.expect(r"^echo=while paused", timeout=3)
h.check(b"echo=while paused" not in vm.out[mark:], "a paused guest answers nothing")
expect_ok("resume", curl("PATCH", "/vm", {"state": "Resumed"}))
h.check(vm.expect(r"^echo=while paused\r?$", timeout=30) is not None, "after resume the guest answers")
h.check(state() == "Running", "GET / says Running again")
expect_ok("FlushMetrics at runtime", curl("PUT", "/actions", {"action_type": "FlushMetrics"}))
code, _ = raw_http(b"NOT HTTP AT ALL\r\n\r\n")
expect_fault("bad vessel/shutdown field", curl("PUT", "/vessel/shutdown", {"timeout": 5}))
expect_fault("bad vessel/shutdown type", curl("PUT", "/vessel/shutdown", {"timeout_ms": "5"}))
h.check(vm.proc.poll() is None and state() == "Running", "vessel keeps running after runtime bad input")

# The shell ignores the power button: the timeout stops it, with its own status.
expect_ok("vessel/shutdown", curl("PUT", "/vessel/shutdown", {"timeout_ms": 500}))
status = vm.wait(30)
h.check(status == STATUS_SHUTDOWN_TIMEOUT, f"shutdown timeout: exit status {STATUS_SHUTDOWN_TIMEOUT} (got {status})")
h.check(not os.path.exists(SOCK), "the socket file is removed at exit")
if h._failures:
    vm.dump()

# ---- 3. Network interfaces (pre-boot only), stale/live sockets, a signal before boot ----
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
    s.bind(SOCK)                # a stale socket file: nobody listens on it
vm2 = h.Vm("--api-sock", SOCK, kernel=None)
# The stale file is there before vessel binds: wait for an answer, not for the file.
deadline = time.monotonic() + 10
while state() != "Not started" and vm2.proc.poll() is None and time.monotonic() < deadline:
    time.sleep(0.05)
h.check(state() == "Not started", "a stale socket file is replaced")
expect_ok("PUT /network-interfaces/eth0", curl("PUT", "/network-interfaces/eth0",
          {"iface_id": "eth0", "host_dev_name": "vtap0", "guest_mac": "52:54:00:12:34:56"}))
code, conf, _ = curl("GET", "/vm/config")
h.check(code == 200 and conf["network-interfaces"] == [{"iface_id": "eth0", "host_dev_name": "vtap0",
                                                        "guest_mac": "52:54:00:12:34:56"}],
        f"GET /vm/config lists the interface ({conf and conf['network-interfaces']})")
st3, _, err3 = h.run_vessel(["run", "--api-sock", SOCK], timeout=20)
h.check(st3 == h.STATUS_ERROR and "in use" in err3, f"a live server's socket is refused (status {st3}: {err3.strip()})")
vm2.proc.terminate()
status = vm2.wait(20)
h.check(status == 128 + 15, f"SIGTERM before boot: status 143 (got {status})")
h.check(not os.path.exists(SOCK), "the socket file is removed after a signal")

# ---- 4. --config-file boots without API calls; PUT /vessel/shutdown powers it off ----
cfg_path = os.path.join(tmp, "vm.json")
with open(cfg_path, "w") as f:
    json.dump({"boot-source": {"kernel_image_path": h.GUEST,
                               "boot_args": "console=ttyS0 run=info,powerwait:60"},
               "machine-config": {"vcpu_count": 1, "mem_size_mib": 96},
               "drives": [{"drive_id": "d0", "path_on_host": disk_a, "is_root_device": True,
                           "is_read_only": True}]}, f)
vm3 = h.Vm("--config-file", cfg_path, "--cpus", "3", "--api-sock", SOCK, kernel=None)
h.check(vm3.expect(r"^cpus=1\r?$", timeout=120) is not None, "--config-file boots; its vcpu_count wins over --cpus")
h.check(int(vm3.values().get("mem.total", "0"), 0) == (96 << 20) - LEGACY_HOLE, "--config-file memory")
h.check(wait_sock(SOCK, vm3) and state() == "Running", "--config-file with --api-sock serves the runtime API")
time.sleep(1)
expect_ok("vessel/shutdown (graceful)", curl("PUT", "/vessel/shutdown", {"timeout_ms": 60000}))
status = vm3.wait(60)
h.check(status == h.STATUS_POWEROFF, f"the guest powers off on the ACPI button: status 0 (got {status})")
if status != h.STATUS_POWEROFF:
    vm3.dump()

with open(cfg_path, "w") as f:
    json.dump({"machine-config": {"vcpu_count": 1, "mem_size_mib": 64, "bogus": 1}}, f)
st4, _, err4 = h.run_vessel(["run", "--config-file", cfg_path], timeout=20)
h.check(st4 == h.STATUS_ERROR and "bogus" in err4, f"a bad config file: status 1 naming the field ({err4.strip()})")

shutil.rmtree(tmp, ignore_errors=True)
h.finish()
