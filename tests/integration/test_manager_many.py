#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Twenty VMs (32 MiB each) created and started at once through the manager
all reach their first line; ls lists them all running; they all stop."""
import os
import subprocess
import time

import harness as h
import manager_harness as m

N = 20

d = m.started_daemon()

try:
    names = [f"vm{i:02d}" for i in range(N)]
    t0 = time.monotonic()
    # Creates and starts in parallel: the daemon serves each connection on its own thread.
    procs = [subprocess.Popen(["sh", "-c", f'v="$0"; s="$1"; shift; "$v" create --state-dir "$s" {n} "$@" && '
                               f'"$v" start --state-dir "$s" {n}', h.VESSEL, d.state,
                               *m.guest_args(["tick:500:1000"])],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for n in names]
    outs = [p.communicate(timeout=120)[0].decode(errors="replace") for p in procs]
    h.check(all(p.returncode == 0 for p in procs),
            f"{N} parallel create+start succeed ({[o for o, p in zip(outs, procs) if p.returncode][:2]})")
    booted = 0
    for n in names:
        con = m.Console(os.path.join(d.vm_dir(n), "console.sock"))
        booted += con.expect("vessel-guest: boot", 60)
        con.close()
    took = time.monotonic() - t0
    h.check(booted == N, f"all {N} reach their first line ({booted} did, {took:.1f} s)")
    vms = d.vms()
    h.check(len(vms) == N and all(v["state"] == "running" and os.path.exists(f"/proc/{v['pid']}")
                                  for v in vms.values()), f"all {N} running")
    st, out, _ = d.vessel("ls")
    h.check(st == 0 and sum(" running " in l for l in out.splitlines()) == N, f"ls shows {N} running")
    procs = [subprocess.Popen([h.VESSEL, "kill", "--state-dir", d.state, n],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for n in names]
    h.check(all(p.wait(60) == 0 for p in procs), f"all {N} killed")
    h.check(all(v["state"] == "stopped" for v in d.vms().values()), "all stopped")
    h.check(d.alive(), "the daemon is still up")
finally:
    m.end(d)
