#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The manager's admission control and reservations: with `vessel daemon
--max-memory 200M --cpu-overcommit ...`, a start that would commit more guest
RAM (plus 16 MiB per VM) or vCPUs than that is refused with 409 and a reason
naming what is short and who holds it, and succeeds once the holder stops; a
VM created with --reserve holds its share while stopped, so others cannot
take it, while it can always start; rm gives it back; GET / and `vessel ls`
show what is committed; the limits survive a daemon restart with the
reservation in config.json. Bad daemon options are refused."""
import re

import harness as h
import manager_harness as m

OVERHEAD = 16
# One host CPU's worth of vCPUs: cpus x overcommit = 3 (at least on this 1+-CPU host).
cpus = len(open("/proc/cpuinfo").read().split("processor\t:")) - 1
d = m.started_daemon("--max-memory", "200M", "--cpu-overcommit", str(3 / cpus))

try:
    code, info, _ = d.curl("GET", "/")
    res = (info or {}).get("resources", {})
    h.check(code == 200 and res.get("memory_mib") == {"capacity": 200, "committed": 0} and
            res.get("vcpus") == {"capacity": 3, "committed": 0},
            f"GET / reports the capacity ({res})")
    for name, mem, cpus_vm in (("a", "96M", 1), ("b", "96M", 1), ("wide", "32M", 3)):
        st, _, err = d.vessel("create", name, *m.guest_args(["tick:200:3000"], memory=mem, cpus=cpus_vm))
        h.check(st == 0, f"create {name} ({err.strip()})")
    st, _, err = d.vessel("start", "a")
    h.check(st == 0, f"start a: 112 of 200 MiB ({err.strip()})")
    st, _, err = d.vessel("start", "b")
    h.check(st == 1 and "not enough memory: 'b' needs 112 MiB" in err and "88 MiB" in err and "a 112 MiB" in err,
            f"start b beyond --max-memory is refused, saying why ({err.strip()})")
    code, body, _ = d.curl("PUT", "/vms/b/actions", {"action": "start"})
    h.check(code == 409 and "not enough memory" in (body or {}).get("fault_message", ""),
            f"the API answers 409 ({code})")
    h.check((d.vm("b") or {}).get("state") == "stopped", "b stays stopped")
    st, _, err = d.vessel("start", "wide")
    h.check(st == 1 and "not enough vCPUs: 'wide' needs 3, 2 of the manager's 3 are left" in err,
            f"start beyond the vCPU capacity is refused ({err.strip()})")
    st, out, _ = d.vessel("ls")
    h.check(re.search(r"^committed: 1 of 3 vCPUs, 112 of 200 MiB$", out, re.M) is not None,
            f"ls shows what is committed ({out.splitlines()[-1:]})")
    st, _, err = d.vessel("kill", "a")
    h.check(st == 0, "kill a")
    st, _, err = d.vessel("start", "b")
    h.check(st == 0, f"once a stopped, b starts ({err.strip()})")
    d.vessel("kill", "b")

    # Reservations: r holds 80 MiB from create on.
    st, _, err = d.vessel("create", "r", "--reserve", *m.guest_args(["tick:200:3000"], memory="64M"))
    h.check(st == 0, f"create r --reserve ({err.strip()})")
    h.check((d.vm("r") or {}).get("reserve") is True, "r is recorded as reserved")
    st, _, err = d.vessel("create", "r2", "--reserve", *m.guest_args(["tick:200:3000"], memory="128M"))
    h.check(st == 1 and "cannot reserve for VM 'r2'" in err and "r 80 MiB (reserved)" in err,
            f"a reservation that does not fit is refused at create ({err.strip()})")
    h.check(d.vm("r2") is None, "r2 is not defined")
    st, _, err = d.vessel("start", "a")
    h.check(st == 0, f"a (112) fits beside r's 80 ({err.strip()})")
    st, _, err = d.vessel("start", "b")
    h.check(st == 1 and "r 80 MiB (reserved)" in err, f"b does not: r's stopped reservation counts ({err.strip()})")
    st, _, err = d.vessel("start", "r")
    h.check(st == 0, f"r starts on its reservation ({err.strip()})")
    code, info, _ = d.curl("GET", "/")
    h.check((info or {}).get("resources", {}).get("memory_mib", {}).get("committed") == 192,
            f"committed 112 + 80 = 192 MiB ({(info or {}).get('resources')})")

    # The reservation survives a daemon restart (config.json).
    d.stop()
    h.check(d.start(), "the daemon starts again")
    h.check((d.vm("r") or {}).get("reserve") is True, "r is still reserved after a daemon restart")
    for n in ("a", "r"):
        d.vessel("kill", n)
    st, _, err = d.vessel("create", "big", *m.guest_args(["tick:200:3000"], memory="128M"))
    h.check(st == 0, f"create big ({err.strip()})")
    st, _, err = d.vessel("start", "big")
    h.check(st == 1 and "r 80 MiB (reserved)" in err,
            f"stopped r still holds its share: big (144) does not fit ({err.strip()})")
    st, _, err = d.vessel("rm", "r")
    h.check(st == 0, "rm r")
    st, _, err = d.vessel("start", "big")
    h.check(st == 0, f"rm gave r's share back: big starts ({err.strip()})")
    d.vessel("kill", "big")

    code, body, _ = d.curl("PUT", "/vms/x", {"args": ["--kernel", h.GUEST], "reserve": "yes"})
    h.check(code == 400 and "'reserve' must be a boolean" in (body or {}).get("fault_message", ""),
            f"reserve of the wrong type: 400 ({code} {body})")
    for args, msg in ((["--max-memory", "lots"], "--max-memory 'lots'"),
                      (["--max-memory", "0%"], "--max-memory '0%'"),
                      (["--cpu-overcommit", "0"], "--cpu-overcommit '0'"),
                      (["--cpu-overcommit", "x"], "--cpu-overcommit 'x'")):
        st, _, err = h.run_vessel(["daemon", "--state-dir", d.tmp + "/other", *args])
        h.check(st == 2 and msg in err, f"daemon {' '.join(args)}: refused ({st}, {err.strip()[:120]})")
finally:
    m.end(d)
