#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The manager (vessel daemon + CLI verbs): three VMs of different shapes at
once (1 and 2 vCPUs, with and without a disk) reach their first line and are
listed right; pause/resume shows no ticks during the pause; a triple-faulting
VM ends with status 4 recorded while the others keep running; the on-failure
restart policy restarts it, bounded; stop, kill and rm."""
import os
import re
import time

import harness as h
import manager_harness as m

d = m.started_daemon()

try:
    disk = os.path.join(d.tmp, "disk.img")
    with open(disk, "wb") as f:
        f.truncate(1 << 20)

    # ---- three shapes ----
    shapes = {
        "one": m.guest_args(["tick:100:600"], cpus=1),
        "two": m.guest_args(["blk", "tick:1000:600"], cpus=2, memory="64M", extra=["--disk", "path=" + disk]),
        "three": m.guest_args(["info", "tick:1000:600"], cpus=1, memory="48M"),
    }
    for name, args in shapes.items():
        st, out, err = d.vessel("create", name, *args)
        h.check(st == 0 and f"created {name}" in out, f"create {name} (status {st}, {err.strip()})")
    st, out, err = d.vessel("ls")
    h.check(st == 0 and re.search(r"^one\s+stopped\s+1\s+32M\s+-\s+-$", out, re.M),
            f"ls lists a created VM as stopped (got {out!r})")
    for name in shapes:
        st, out, err = d.vessel("start", name)
        h.check(st == 0, f"start {name} (status {st}, {err.strip()})")
    consoles = {name: m.Console(os.path.join(d.vm_dir(name), "console.sock")) for name in shapes}
    for name, con in consoles.items():
        h.check(con.expect("vessel-guest: boot", 60), f"{name} reaches its first line on console.sock")
    h.check(consoles["two"].expect("blk.count=1", 60), "two sees its disk")
    h.check(consoles["three"].expect("cpus=1", 60), "three reports its CPUs")
    time.sleep(1.1)
    st, out, err = d.vessel("ls")
    rows = {l.split()[0]: l.split() for l in out.splitlines()[1:]}
    h.check(out.splitlines()[0].split() == ["NAME", "STATE", "CPUS", "MEMORY", "UPTIME", "PID"],
            f"ls header (got {out.splitlines()[:1]})")
    vms = d.vms()
    for name, cpus, mem in (("one", "1", "32M"), ("two", "2", "64M"), ("three", "1", "48M")):
        row = rows.get(name, [])
        pid = str(vms.get(name, {}).get("pid"))
        h.check(row[1:4] == ["running", cpus, mem] and re.fullmatch(r"\d+s", row[4]) and row[5] == pid
                and os.path.exists(f"/proc/{pid}"),
                f"ls: {name} running, {cpus} vCPUs, {mem}, uptime, pid {pid} (got {row})")

    # ---- pause / resume with the tick counter ----
    con = consoles["one"]
    con.expect("tick=5 ", 30)
    st, out, err = d.vessel("pause", "one")
    h.check(st == 0 and d.vm("one")["state"] == "paused", f"pause one (status {st}, {err.strip()})")
    con.drain(0.3)      # a line on its way when the vCPU stopped
    before = re.findall(r"tick=(\d+) ", con.text)
    con.drain(1.5)
    after = re.findall(r"tick=(\d+) ", con.text)
    h.check(before and after == before, f"no ticks while paused (last {before[-1:]} then {after[-1:]})")
    st, out, err = d.vessel("pause", "one")
    h.check(st == 1 and "paused" in err, f"pause twice: status 1 with a reason ({err.strip()})")
    st, out, err = d.vessel("resume", "one")
    h.check(st == 0, f"resume one (status {st}, {err.strip()})")
    nxt = int(before[-1]) + 1 if before else 0
    h.check(con.expect(f"tick={nxt} ", 10) and con.expect(f"tick={nxt + 3} ", 10),
            f"ticks go on after resume from tick={nxt}")
    st, out, err = d.vessel("resume", "one")
    h.check(st == 1 and "running" in err, f"resume a running VM: status 1 ({err.strip()})")
    st, out, err = d.vessel("start", "one")
    h.check(st == 1 and "already" in err, f"start twice: status 1 ({err.strip()})")

    # ---- a triple fault ends one VM, the others keep running ----
    st, out, err = d.vessel("create", "crash", *m.guest_args(["triplefault"]))
    h.check(st == 0, "create crash")
    d.vessel("start", "crash")
    vm = d.wait_state("crash", ("crashed",), 60)
    h.check(vm and vm["exit_status"] == 4 and "triple fault" in (vm["exit_reason"] or ""),
            f"crash: state crashed, exit status 4, reason recorded ({vm})")
    with open(os.path.join(d.vm_dir("crash"), "exit.json")) as f:
        h.check('"exit_status": 4' in f.read(), "exit.json holds status 4")
    vms = d.vms()
    h.check(all(vms[n]["state"] in ("running", "paused") for n in shapes) and
            all(os.path.exists(f"/proc/{vms[n]['pid']}") for n in shapes),
            "the other three VMs keep running")
    n_one = len(re.findall(r"tick=", consoles["one"].text))
    consoles["one"].drain(0.5)
    h.check(len(re.findall(r"tick=", consoles["one"].text)) > n_one, "one still ticks")
    h.check(d.alive(), "the daemon survives the crash")

    # ---- restart policy on-failure, bounded ----
    st, out, err = d.vessel("create", "loop", "--restart", "on-failure", *m.guest_args(["triplefault"]))
    h.check(st == 0, f"create loop --restart on-failure ({err.strip()})")
    d.vessel("start", "loop")
    vm = d.wait_state("loop", ("failed",), 90)
    h.check(vm and vm["state"] == "failed" and vm["restarts"] == 5 and vm["exit_status"] == 4,
            f"on-failure restarts a crashing VM 5 times, then 'failed' ({vm and (vm['state'], vm['restarts'])})")
    with open(os.path.join(d.vm_dir("loop"), "vessel.log")) as f:
        log = f.read()
    h.check(log.count("restarting ---") == 5, f"the log shows 5 restarts ({log.count('restarting ---')})")
    st, out, err = d.vessel("create", "ok", "--restart", "on-failure", *m.guest_args(["poweroff"]))
    d.vessel("start", "ok")
    vm = d.wait_state("ok", ("stopped",), 60)
    time.sleep(0.5)
    vm = d.vm("ok")
    h.check(vm and vm["state"] == "stopped" and vm["restarts"] == 0 and vm["exit_status"] == 0,
            f"on-failure does not restart a VM that powered off ({vm})")
    st, out, err = d.vessel("create", "again", "--restart", "always", *m.guest_args(["poweroff"]))
    d.vessel("start", "again")
    time.sleep(3)
    vm = d.wait_state("again", ("failed",), 60)
    h.check(vm and vm["restarts"] == 5, f"always restarts even after a power-off, bounded ({vm and vm['restarts']})")

    # ---- stop, kill, rm ----
    st, out, err = d.vessel("rm", "one")
    h.check(st == 1 and "stop it first" in err, f"rm a running VM: status 1 ({err.strip()})")
    pid = d.vm("two")["pid"]
    t0 = time.monotonic()
    st, out, err = d.vessel("stop", "--timeout", "1", "two")
    took = time.monotonic() - t0
    vm = d.vm("two")
    h.check(st == 0 and vm["state"] == "stopped" and vm["exit_status"] == 6 and
            m.gone(pid) and took < 8,
            f"stop --timeout 1: the tick guest ignores the button, forced after 1 s, status 6 "
            f"(status {st}, {vm['state']}, {vm['exit_status']}, {took:.1f} s)")
    st, out, err = d.vessel("stop", "two")
    h.check(st == 1 and "not running" in err, f"stop a stopped VM: status 1 ({err.strip()})")
    st, out, err = d.vessel("kill", "three")
    vm = d.vm("three")
    h.check(st == 0 and vm["state"] == "stopped" and vm["exit_status"] == 137,
            f"kill: stopped, status 137 ({st}, {vm['state']}, {vm['exit_status']})")
    st, out, err = d.vessel("rm", "-f", "one")
    h.check(st == 0 and not os.path.exists(d.vm_dir("one")), f"rm -f kills and removes ({err.strip()})")
    st, out, err = d.vessel("rm", "two")
    h.check(st == 0 and "two" not in d.vms(), "rm a stopped VM")
    st, out, err = d.vessel("start", "two")
    h.check(st == 1 and "no VM named 'two'" in err, f"start an unknown VM: status 1 ({err.strip()})")
    st, out, err = d.vessel("start", "a/b")
    h.check(st == 2, f"a name with '/': status 2 ({err.strip()})")

    # Relative paths in a definition are made absolute (the daemon runs in /): --firmware FILE but not the
    # keyword seabios, --disk path=, --vsock uds=.
    os.chdir(d.tmp)
    with open("d.img", "wb") as f:
        f.truncate(1 << 20)
    fw = "/usr/share/seabios/bios-microvm.bin"
    if os.path.exists(fw):
        with open(fw, "rb") as src, open("fw.bin", "wb") as dst:
            dst.write(src.read())
        st, out, err = d.vessel("create", "paths", "--firmware", "fw.bin", "--disk", "path=d.img,readonly=on",
                                "--vsock", "cid=3,uds=v.sock")
        args = (d.vm("paths") or {}).get("args", [])
        h.check(st == 0 and os.path.join(d.tmp, "fw.bin") in args and
                "path=" + os.path.join(d.tmp, "d.img") + ",readonly=on" in args and
                "cid=3,uds=" + os.path.join(d.tmp, "v.sock") in args,
                f"relative --firmware, --disk path= and --vsock uds= are stored absolute ({st}, {args}, {err.strip()})")
        st, out, err = d.vessel("create", "kw", "--firmware", "seabios", "--disk", "path=d.img")
        args = (d.vm("kw") or {}).get("args", [])
        h.check(st == 0 and args[:2] == ["--firmware", "seabios"], f"--firmware seabios stays a keyword ({args})")
    else:
        print("SKIP: relative --firmware paths: no " + fw + " (apt-get install seabios)", flush=True)
    h.check(d.alive(), "the daemon is still up")
finally:
    m.end(d)
