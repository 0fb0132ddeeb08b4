#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The manager across its own restarts: after SIGTERM and after SIGKILL the
VMs keep running, a new daemon keeps every definition, finds the running
VMs again with the same PIDs (paused ones as paused) and can stop them; a
VM that ended while no daemon ran gets its exit recorded from exit.json;
one daemon per state directory; a graceful stop of a guest that handles the
power button ends with status 0."""
import os
import re
import signal
import time

import harness as h
import manager_harness as m

d = m.started_daemon()

try:
    specs = {
        "ticker": m.guest_args(["tick:200:3000"]),
        "held": m.guest_args(["tick:200:3000"], cpus=2),
        "button": m.guest_args(["powerwait:300"]),
        "brief": m.guest_args(["tick:100:30", "poweroff"]),
        "idle": m.guest_args(["poweroff"]),
    }
    for name, args in specs.items():
        st, _, err = d.vessel("create", name, *args)
        h.check(st == 0, f"create {name} ({err.strip()})")
    for name in ("ticker", "held", "button", "brief"):
        st, _, err = d.vessel("start", name)
        h.check(st == 0, f"start {name} ({err.strip()})")
    cons = {n: m.Console(os.path.join(d.vm_dir(n), "console.sock")) for n in ("ticker", "held", "button")}
    h.check(cons["button"].expect("powerwait=armed", 60), "button arms the power button")
    h.check(cons["ticker"].expect("tick=2 ", 60), "ticker ticks")
    st, _, err = d.vessel("pause", "held")
    h.check(st == 0, f"pause held ({err.strip()})")
    pids = {n: v["pid"] for n, v in d.vms().items() if v["pid"]}
    h.check(len(pids) == 4, f"four monitors running ({pids})")

    st, _, err = d.vessel("daemon")
    h.check(st == 1 and "another vessel daemon" in err, f"a second daemon on the same state dir: status 1 ({err.strip()})")

    # ---- SIGTERM: the daemon ends, the VMs do not ----
    st = d.stop(signal.SIGTERM)
    h.check(st == 0, f"the daemon exits 0 on SIGTERM (got {st})")
    h.check(all(os.path.exists(f"/proc/{p}") for p in pids.values()), "every VM survives the daemon's SIGTERM")
    st, _, err = d.vessel("ls")
    h.check(st == 1 and "the manager is not running" in err and "vessel daemon" in err,
            f"ls without a daemon: status 1, says so ({err.strip()})")
    n = len(re.findall(r"tick=", cons["ticker"].text))
    cons["ticker"].drain(0.6)
    h.check(len(re.findall(r"tick=", cons["ticker"].text)) > n, "ticker ticks on while no daemon runs")
    time.sleep(3)   # 'brief' powers off meanwhile, with nobody watching

    h.check(d.start(), "a new daemon starts")
    vms = d.vms()
    h.check(set(vms) == set(specs), f"the definitions are kept ({sorted(vms)})")
    for name in ("ticker", "held", "button"):
        h.check(vms[name]["pid"] == pids[name], f"{name} found again with the same pid {pids[name]}")
    h.check(vms["held"]["state"] == "paused", f"held is found paused ({vms['held']['state']})")
    h.check(vms["ticker"]["state"] == "running", f"ticker is found running ({vms['ticker']['state']})")
    h.check(vms["brief"]["state"] == "stopped" and vms["brief"]["exit_status"] == 0 and
            vms["brief"]["exit_reason"] == "guest powered off",
            f"brief ended while no daemon ran: its exit read from exit.json ({vms['brief']})")
    h.check(vms["idle"]["state"] == "stopped" and vms["idle"]["exit_status"] is None, "idle: never started")

    # ---- SIGKILL: the same ----
    st = d.stop(signal.SIGKILL)
    h.check(all(os.path.exists(f"/proc/{pids[n]}") for n in ("ticker", "held", "button")),
            "every VM survives the daemon's SIGKILL")
    h.check(d.start(), "a daemon starts after a SIGKILLed one (stale socket replaced)")
    vms = d.vms()
    h.check(all(vms[n]["pid"] == pids[n] for n in ("ticker", "held", "button")),
            "found again with the same pids after SIGKILL")

    # ---- and it controls them ----
    st, _, err = d.vessel("resume", "held")
    h.check(st == 0 and d.vm("held")["state"] == "running", f"resume held, paused before the restarts ({err.strip()})")
    t0 = time.monotonic()
    st, out, err = d.vessel("stop", "button")
    vm = d.vm("button")
    h.check(st == 0 and vm["exit_status"] == 0 and time.monotonic() - t0 < 8,
            f"stop: the guest handles the power button and powers off, status 0 ({out.strip()} {vm['exit_status']})")
    h.check("powerbutton=1" in cons["button"].text or cons["button"].expect("powerbutton=1", 2),
            "the guest saw the power button")
    st, out, err = d.vessel("stop", "--timeout", "1", "ticker")
    vm = d.vm("ticker")
    h.check(st == 0 and vm["state"] == "stopped" and vm["exit_status"] == 6,
            f"stop a VM found again: forced after 1 s, status 6 from exit.json ({vm['exit_status']})")
    st, out, err = d.vessel("kill", "held")
    vm = d.vm("held")
    h.check(st == 0 and vm["state"] == "stopped" and m.gone(pids['held']),
            f"kill a VM found again ({vm['state']}, {vm['exit_reason']})")

    # ---- a reused PID is not taken for a VM ----
    st, _, _ = d.vessel("start", "ticker")
    pid = d.vm("ticker")["pid"]
    d.stop(signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.3)
    state_file = os.path.join(d.vm_dir("ticker"), "state.json")
    with open(state_file) as f:
        text = f.read()
    # Point the record at a live process that is not this VM's monitor (the test itself).
    with open(state_file, "w") as f:
        f.write(re.sub(r'"pid":\s*\d+', f'"pid": {os.getpid()}', text))
    h.check(d.start(), "daemon restarts")
    vm = d.vm("ticker")
    h.check(vm["state"] == "crashed" and vm["pid"] is None,
            f"a pid that is not the VM's monitor is not adopted ({vm['state']}, {vm['pid']}, {vm['exit_reason']})")
    h.check(d.alive(), "the daemon is still up")
finally:
    m.end(d)
