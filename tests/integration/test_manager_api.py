#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The manager's HTTP API with curl: every endpoint, and every kind of bad
input (malformed HTTP, a body over 64 KiB, invalid JSON, unknown fields,
wrong types, duplicate names, names with '/' or '..', options the manager
owns, bad run options, actions in the wrong state, unknown VMs), each the
right 4xx with a JSON fault_message, the daemon up throughout."""
import os
import socket
import time

import harness as h
import manager_harness as m

d = m.started_daemon()


def fault(what, got, status):
    code, data, raw = got
    ok = h.check(code == status and isinstance(data, dict) and isinstance(data.get("fault_message"), str),
                 f"{what}: {status} with a fault_message (got {code} {raw[:160]!r})")
    return data if ok else None


def ok(what, got, status=200):
    code, data, raw = got
    h.check(code == status, f"{what}: {status} (got {code} {raw[:160]!r})")
    return data


def raw_http(data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(d.sock)
    got = b""
    try:
        s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass    # an oversized request may be answered and closed before it is all sent
    s.close()
    parts = got.split(b"\r\n", 1)[0].decode(errors="replace").split(" ")
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), got.partition(b"\r\n\r\n")[2]


try:
    args = m.guest_args(["tick:200:3000"])
    # ---- every endpoint ----
    info = ok("GET /", d.curl("GET", "/"))
    h.check(info and info.get("app_name") == "vessel" and info.get("state_dir") == d.state and info.get("vms") == 0,
            f"GET / describes the daemon ({info})")
    h.check(ok("GET /vms (empty)", d.curl("GET", "/vms")) == [], "no VMs yet")
    vm = ok("PUT /vms/api1", d.curl("PUT", "/vms/api1", {"args": args, "restart": "on-failure"}), 201)
    h.check(vm and vm["name"] == "api1" and vm["state"] == "stopped" and vm["restart"] == "on-failure" and
            vm["vcpus"] == 1 and vm["mem_size_mib"] == 32 and vm["args"] == args, f"201 with the VM ({vm})")
    for f in ("config.json", "state.json"):
        h.check(os.path.exists(os.path.join(d.vm_dir("api1"), f)), f"vms/api1/{f} written")
    ok("PUT /vms/api2 (no restart field)", d.curl("PUT", "/vms/api2", {"args": args}), 201)
    lst = ok("GET /vms", d.curl("GET", "/vms"))
    h.check([v["name"] for v in lst or []] == ["api1", "api2"], "GET /vms lists both, by name")
    vm = ok("GET /vms/api2", d.curl("GET", "/vms/api2"))
    h.check(vm and vm["restart"] == "no" and vm["pid"] is None and vm["uptime_ms"] is None, "GET /vms/api2")
    vm = ok("start", d.curl("PUT", "/vms/api1/actions", {"action": "start"}))
    h.check(vm and vm["state"] == "running" and vm["pid"] > 0, f"start answers the running VM ({vm and vm['pid']})")
    con = m.Console(os.path.join(d.vm_dir("api1"), "console.sock"))
    h.check(con.expect("tick=1 ", 60), "api1 ticks")
    h.check(ok("pause", d.curl("PUT", "/vms/api1/actions", {"action": "pause"}))["state"] == "paused", "paused")
    h.check(ok("resume", d.curl("PUT", "/vms/api1/actions", {"action": "resume"}))["state"] == "running", "resumed")
    vm = ok("stop with timeout_ms", d.curl("PUT", "/vms/api1/actions", {"action": "stop", "timeout_ms": 500}), 202)
    h.check(vm and vm["state"] == "stopping", "202 while stopping")
    vm = d.wait_state("api1", ("stopped",), 20)
    h.check(vm and vm["exit_status"] == 6, f"stopped, forced after 500 ms: status 6 ({vm})")
    ok("start again", d.curl("PUT", "/vms/api1/actions", {"action": "start"}))
    ok("kill", d.curl("PUT", "/vms/api1/actions", {"action": "kill"}), 202)
    vm = d.wait_state("api1", ("stopped",), 20)
    h.check(vm and vm["exit_status"] == 137 and vm["restarts"] == 0, f"killed: 137, not restarted ({vm})")
    ok("DELETE /vms/api2", d.curl("DELETE", "/vms/api2"), 204)
    h.check(not os.path.exists(d.vm_dir("api2")), "its directory is gone")

    # ---- bad input ----
    ok("start api1 for the wrong-state checks", d.curl("PUT", "/vms/api1/actions", {"action": "start"}))
    fault("malformed JSON", d.curl("PUT", "/vms/x", '{"args": ['), 400)
    fault("trailing garbage", d.curl("PUT", "/vms/x", '{"args": []} x'), 400)
    fault("a body that is not an object", d.curl("PUT", "/vms/x", '["--cpus", "1"]'), 400)
    fault("empty body", d.curl("PUT", "/vms/x", ""), 400)
    r = fault("unknown field", d.curl("PUT", "/vms/x", {"args": args, "cpus": 2}), 400)
    h.check(r and "cpus" in r["fault_message"], "the unknown field is named")
    r = fault("args of the wrong type", d.curl("PUT", "/vms/x", {"args": "--cpus 2"}), 400)
    h.check(r and "args" in r["fault_message"], "the mistyped field is named")
    fault("an arg that is not a string", d.curl("PUT", "/vms/x", {"args": ["--cpus", 2]}), 400)
    fault("restart of the wrong type", d.curl("PUT", "/vms/x", {"args": args, "restart": 1}), 400)
    fault("unknown restart policy", d.curl("PUT", "/vms/x", {"args": args, "restart": "sometimes"}), 400)
    fault("missing args", d.curl("PUT", "/vms/x", {"restart": "no"}), 400)
    fault("too many args", d.curl("PUT", "/vms/x", {"args": ["-v"] * 65}), 400)
    for opt in ("--api-sock", "--api-sock=/tmp/x", "--console-sock", "--status-file", "--dry-run",
                "--help", "-h", "--api"):
        r = fault(f"option the manager owns: {opt}", d.curl("PUT", "/vms/x", {"args": args + [opt, "/tmp/y"]}), 400)
    r = fault("a bad run option", d.curl("PUT", "/vms/x", {"args": ["--cpus", "abc"]}), 400)
    h.check(r and "--cpus 'abc'" in r["fault_message"], f"vessel run's own message ({r})")
    r = fault("a missing kernel", d.curl("PUT", "/vms/x", {"args": ["--kernel", "/nonexistent/bzImage"]}), 400)
    h.check(r and "/nonexistent/bzImage" in r["fault_message"], f"names the file ({r})")
    r = fault("a missing disk", d.curl("PUT", "/vms/x", {"args": args + ["--disk", "path=/nonexistent.img"]}), 400)
    h.check(not os.path.exists(d.vm_dir("x")), "nothing is created for a refused definition")
    fault("duplicate name", d.curl("PUT", "/vms/api1", {"args": args}), 409)
    fault("name with '/' (escaped)", d.curl("PUT", "/vms/a%2Fb", {"args": args}), 400)
    fault("name with '/'", d.curl("PUT", "/vms/a/b", {"args": args}), 400)
    fault("name '..'", d.curl("PUT", "/vms/..", {"args": args}, extra=["--path-as-is"]), 400)
    fault("name '../x'", d.curl("GET", "/vms/../x", extra=["--path-as-is"]), 400)
    fault("name starting with '.'", d.curl("PUT", "/vms/.hidden", {"args": args}), 400)
    fault("name too long", d.curl("PUT", "/vms/" + "a" * 65, {"args": args}), 400)
    fault("empty name", d.curl("GET", "/vms/"), 400)
    fault("start twice", d.curl("PUT", "/vms/api1/actions", {"action": "start"}), 409)
    fault("resume a running VM", d.curl("PUT", "/vms/api1/actions", {"action": "resume"}), 409)
    fault("rm a running VM", d.curl("DELETE", "/vms/api1"), 409)
    ok("create api3", d.curl("PUT", "/vms/api3", {"args": args}), 201)
    fault("pause a stopped VM", d.curl("PUT", "/vms/api3/actions", {"action": "pause"}), 409)
    fault("stop a stopped VM", d.curl("PUT", "/vms/api3/actions", {"action": "stop"}), 409)
    fault("kill a stopped VM", d.curl("PUT", "/vms/api3/actions", {"action": "kill"}), 409)
    fault("unknown action", d.curl("PUT", "/vms/api1/actions", {"action": "reboot"}), 400)
    fault("action of the wrong type", d.curl("PUT", "/vms/api1/actions", {"action": 1}), 400)
    fault("timeout_ms of the wrong type", d.curl("PUT", "/vms/api1/actions", {"action": "stop", "timeout_ms": "5"}), 400)
    fault("negative timeout_ms", d.curl("PUT", "/vms/api1/actions", {"action": "stop", "timeout_ms": -1}), 400)
    fault("timeout_ms for pause", d.curl("PUT", "/vms/api1/actions", {"action": "pause", "timeout_ms": 5}), 400)
    fault("unknown field in actions", d.curl("PUT", "/vms/api1/actions", {"action": "stop", "force": True}), 400)
    fault("unknown VM: GET", d.curl("GET", "/vms/nosuch"), 404)
    fault("unknown VM: action", d.curl("PUT", "/vms/nosuch/actions", {"action": "start"}), 404)
    fault("unknown VM: DELETE", d.curl("DELETE", "/vms/nosuch"), 404)
    fault("unknown path", d.curl("GET", "/nothing"), 404)
    fault("unknown sub-resource", d.curl("GET", "/vms/api1/nothing"), 400)
    fault("wrong method on /vms", d.curl("POST", "/vms"), 405)
    fault("wrong method on a VM", d.curl("POST", "/vms/api1", {"args": args}), 405)
    fault("GET on actions", d.curl("GET", "/vms/api1/actions"), 405)
    fault("a body over 64 KiB", d.curl("PUT", "/vms/big", '{"args": ["' + "x" * 70000 + '"]}'), 413)
    code, body = raw_http(b"PUT /vms/big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                          b"10000\r\n" + b"x" * 0x10000 + b"\r\n10\r\n" + b"y" * 16 + b"\r\n0\r\n\r\n")
    h.check(code == 413 and b"fault_message" in body, f"a chunked body over 64 KiB: 413 JSON (got {code})")
    code, body = raw_http(b"GET /vms HTTP/1.0\r\n\r\n")
    h.check(code == 505 and b"fault_message" in body, f"HTTP/1.0: 505 JSON (got {code})")
    code, body = raw_http(b"THIS IS NOT HTTP\r\n\r\n")
    h.check(400 <= code < 500 or code == 505 or code == 0, f"malformed HTTP: refused (got {code})")
    code, body = raw_http(b"GET /vms HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"a" * 100000 + b"\r\n\r\n")
    h.check(400 <= code < 500 or code == 0, f"an oversized header: refused (got {code})")
    raw_http(b"PUT /vms/half HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"args\"")
    h.check(d.alive() and d.curl("GET", "/")[0] == 200, "the daemon is up after every bad request")
    vm = d.vm("api1")
    h.check(vm["state"] == "running" and not m.gone(vm["pid"]), "and api1 runs on")
    h.check("409" in d.log() and "413" in d.log(), "errors are logged on the daemon's stderr")
    h.check(sorted(d.vms()) == ["api1", "api3"], f"no stray definitions ({sorted(d.vms())})")
finally:
    m.end(d)
