#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host CPU limits of a VM, seen from the host:
- pinning: `--cpus N,affinity=LIST,pin=on` and `--vmm-affinity`: each thread's
  Cpus_allowed_list in /proc/PID/task/TID/status;
- quota: `--cpu-quota 25` against a guest spinning in user mode: the process's
  CPU time over ~2 s (utime+stime in /proc/PID/stat) is ~0.25 CPU-s/s, ~1
  without; its cgroup exists (with that quota) while it runs and is gone after
  exit, after a guest-reset restart and after SIGTERM; under the manager
  (`vessel create --cpu-quota`) too, also after SIGKILL (`vessel kill`);
- every bad input, and no cgroup permission (as an unprivileged user).
The quota parts need root (cgroups): without it they say SKIP, and the test
ends SKIP rather than PASS."""
import os
import shutil
import signal
import subprocess
import time

import harness as h
import manager_harness as mh

TICK = os.sysconf("SC_CLK_TCK")
skipped = []


def cpulist(cpus):
    return ",".join(str(c) for c in sorted(cpus))


def parse_cpulist(text):
    cpus = set()
    for part in text.strip().split(","):
        if "-" in part:
            a, b = part.split("-")
            cpus.update(range(int(a), int(b) + 1))
        elif part:
            cpus.add(int(part))
    return cpus


def threads(pid):
    """{tid: (comm, set of allowed CPUs)} of a process."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            comm = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            for line in open(f"/proc/{pid}/task/{tid}/status"):
                if line.startswith("Cpus_allowed_list:"):
                    out[int(tid)] = (comm, parse_cpulist(line.split(":", 1)[1]))
        except OSError:
            pass
    return out


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK       # utime, stime


def cpu_cgroup(pid):
    """(version, directory) of pid's cgroup in the hierarchy with the cpu controller, or (None, None)."""
    v1 = v2 = None
    for line in open(f"/proc/{pid}/cgroup"):
        hid, ctl, path = line.rstrip("\n").split(":", 2)
        if hid == "0" and not ctl:
            v2 = path
        elif "cpu" in ctl.split(","):
            v1 = path
    for line in open("/proc/self/mountinfo"):
        left, right = line.split(" - ", 1)
        root, mnt = left.split()[3:5]
        fstype, _, opts = right.split()[:3]
        want = v1 if fstype == "cgroup" and "cpu" in opts.split(",") else \
            v2 if fstype == "cgroup2" and v1 is None else None
        if want is not None:
            rel = want[len(root):] if root != "/" and want.startswith(root) else want
            return (1 if fstype == "cgroup" else 2), mnt.replace("\\040", " ") + rel.rstrip("/")
    return None, None


def mount_of(path):
    """The mount point a cgroup directory is under."""
    best = "/"
    for line in open("/proc/self/mountinfo"):
        mnt = line.split(" - ", 1)[0].split()[4].replace("\\040", " ")
        if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best):
            best = mnt
    return best


def quota_of(version, path):
    try:
        if version == 1:
            return open(os.path.join(path, "cpu.cfs_quota_us")).read().split()[0] + " " + \
                open(os.path.join(path, "cpu.cfs_period_us")).read().split()[0]
        return " ".join(open(os.path.join(path, "cpu.max")).read().split())
    except OSError:
        return None


def wait_gone(path, timeout=5):
    deadline = time.monotonic() + timeout
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not os.path.exists(path)


# --- (a) pinning -------------------------------------------------------------
def test_pinning():
    usable = sorted(os.sched_getaffinity(0))
    vcpu_list = usable[:2]
    vmm = {usable[-1]}
    # 3 vCPUs on (at most) 2 CPUs: the third goes round to the first.
    vm = h.Vm(f"--vmm-affinity", cpulist(vmm), "--memory", "64M",
              "--cpus", f"3,affinity={cpulist(vcpu_list)},pin=on",
              cmdline="console=ttyS0 run=smp,tick:500:6,poweroff")
    if not h.check(vm.expect(r"smp\.ok=1", 60) is not None, "pinned 3-vCPU guest starts every CPU"):
        vm.dump()
    t = threads(vm.proc.pid)
    vcpus = {c: cpus for c, cpus in t.values() if c.startswith("vcpu")}
    h.check(sorted(vcpus) == ["vcpu0", "vcpu1", "vcpu2"], f"three vCPU threads: {sorted(vcpus)}")
    for i in range(3):
        want = {vcpu_list[i % len(vcpu_list)]}
        h.check(vcpus.get(f"vcpu{i}") == want, f"vcpu{i} pinned to CPU {want}: {vcpus.get(f'vcpu{i}')}")
    others = {tid: (c, cpus) for tid, (c, cpus) in t.items()
              if not c.startswith("vcpu") and not c.startswith("kvm")}
    h.check(others.get(vm.proc.pid, ("", None))[1] == vmm, f"main thread on --vmm-affinity {vmm}: {others.get(vm.proc.pid)}")
    h.check(all(cpus == vmm for _, cpus in others.values()), f"every other vessel thread on {vmm}: {others}")
    h.check(vm.wait(60) == h.STATUS_POWEROFF, f"pinned guest powers off (status {vm.status})")

    # affinity= without pin: every vCPU may use the whole list; no count given keeps the default of 1.
    vm = h.Vm("--memory", "64M", "--cpus", f"affinity={cpulist(usable)}",
              cmdline="console=ttyS0 run=info,tick:500:4,poweroff")
    vm.expect(r"tick=1 ", 60)
    v = {c: cpus for c, cpus in threads(vm.proc.pid).values() if c.startswith("vcpu")}
    h.check(v == {"vcpu0": set(usable)}, f"--cpus affinity={cpulist(usable)}: one vCPU on all of them: {v}")
    h.check(vm.wait(60) == h.STATUS_POWEROFF and vm.values().get("cpus") == "1",
            "--cpus with only affinity= boots the default single vCPU")

    # --vmm-affinity alone must not confine the vCPUs.
    if len(usable) > 1:
        vm = h.Vm("--memory", "64M", "--cpus", "2", "--vmm-affinity", str(usable[0]),
                  cmdline="console=ttyS0 run=smp,tick:500:4,poweroff")
        vm.expect(r"tick=1 ", 60)
        t = threads(vm.proc.pid)
        v = {c: cpus for c, cpus in t.values() if c.startswith("vcpu")}
        h.check(v == {"vcpu0": set(usable), "vcpu1": set(usable)},
                f"--vmm-affinity alone leaves the vCPUs on every CPU: {v}")
        h.check(t[vm.proc.pid][1] == {usable[0]}, f"... and the main thread on {usable[0]}: {t[vm.proc.pid][1]}")
        vm.wait(60)


# --- (b) quota ---------------------------------------------------------------
def spin_rate(*args):
    """Boots a guest spinning 5 s in user mode; returns (CPU-s per s over 2 s, loops, cgroup seen, vm)."""
    vm = h.Vm("--memory", "64M", "--cpus", "1", *args, cmdline="console=ttyS0 run=spin:5000,poweroff")
    if vm.expect(r"spin\.ms=", 60) is None:
        vm.dump()
        vm.kill()
        return None, None, (None, None, None), vm
    time.sleep(0.5)
    version, cg = cpu_cgroup(vm.proc.pid)
    seen = (version, cg, quota_of(version, cg) if cg else None)
    c0, t0 = cpu_seconds(vm.proc.pid), time.monotonic()
    time.sleep(2.0)
    rate = (cpu_seconds(vm.proc.pid) - c0) / (time.monotonic() - t0)
    vm.wait(60)
    loops = vm.values().get("spin.loops")
    return rate, int(loops) if loops else None, seen, vm


def test_quota():
    free_rate, free_loops, (_, home_cg, _), vm = spin_rate()
    h.check(vm.status == h.STATUS_POWEROFF, f"spinning guest without a quota powers off ({vm.status})")
    rate, loops, (version, cg, quota), vm = spin_rate("--cpu-quota", "25")
    h.check(vm.status == h.STATUS_POWEROFF, f"spinning guest with --cpu-quota 25 powers off ({vm.status})")
    print(f"  without quota: {free_rate:.2f} CPU-s/s, {free_loops} loops; "
          f"--cpu-quota 25: {rate:.2f} CPU-s/s, {loops} loops; cgroup v{version} {cg}")
    h.check(free_rate is not None and free_rate >= 0.6, f"without a quota the guest uses ~1 CPU ({free_rate})")
    h.check(rate is not None and 0.1 <= rate <= 0.35, f"with --cpu-quota 25 it uses ~0.25 CPU ({rate})")
    h.check(free_loops and loops and loops < free_loops * 0.5,
            f"the guest itself got less done in the same time ({loops} < half of {free_loops})")
    h.check(cg is not None and os.path.basename(cg) == f"vessel-{vm.proc.pid}",
            f"the VM ran in its own cgroup vessel-<pid>: {cg}")
    h.check(cg != home_cg, "... not the cgroup vessel started in")
    h.check(quota == "25000 100000", f"... with quota 25000 us per 100000 us: {quota}")
    h.check(cg is not None and wait_gone(cg), f"its cgroup is gone after exit: {cg}")

    # SIGTERM: the normal exit path removes it too.
    vm = h.Vm("--memory", "64M", "--cpu-quota", "40", cmdline="console=ttyS0 run=tick:200:1000")
    vm.expect(r"tick=2 ", 60)
    _, cg = cpu_cgroup(vm.proc.pid)
    h.check(cg and os.path.isdir(cg) and cg.endswith(f"/vessel-{vm.proc.pid}"), f"cgroup while running: {cg}")
    vm.proc.send_signal(signal.SIGTERM)
    h.check(vm.wait(30) == 128 + signal.SIGTERM, f"SIGTERM ends it ({vm.status})")
    h.check(cg and wait_gone(cg), "its cgroup is gone after SIGTERM")

    # A guest reset restarts vessel in place (exec): a cgroup again, the same one, and none after.
    vm = h.Vm("--memory", "64M", "--cpu-quota", "60", cmdline="console=ttyS0 run=tick:100:2,reset")
    deadline = time.monotonic() + 60
    while vm.text.count("vessel-guest: boot") < 2 and time.monotonic() < deadline:
        vm._pump(0.2)
    h.check(vm.text.count("vessel-guest: boot") >= 2, "the guest reset and vessel restarted it")
    version, cg = cpu_cgroup(vm.proc.pid)
    h.check(cg and cg.endswith(f"/vessel-{vm.proc.pid}") and quota_of(version, cg) == "60000 100000",
            f"after the restart it runs in its cgroup again with its quota: {cg}")
    vm.proc.send_signal(signal.SIGTERM)
    vm.wait(30)
    h.check(cg and wait_gone(cg), "no cgroup left after the restarted VM ended")

    # --dry-run checks cgroups can be made, and makes none.
    rc, out, err = h.run_vessel(["run", "--dry-run", "--kernel", h.GUEST, "--cpu-quota", "50"])
    h.check(rc == 0 and '"vcpus"' in out, f"--dry-run --cpu-quota 50 passes as root ({rc}: {err.strip()})")


def test_manager_quota():
    d = mh.Daemon()
    if not h.check(d.start(), "vessel daemon serves its socket"):
        print(d.log())
        d.cleanup()
        return
    try:
        args = mh.guest_args(["spin:4000", "poweroff"], extra=["--cpu-quota", "30"])
        rc, out, err = d.vessel("create", "q", *args)
        h.check(rc == 0, f"vessel create q --cpu-quota 30 ({rc}: {err.strip()})")
        for how in ("guest powers off", "vessel kill"):
            rc, _, err = d.vessel("start", "q")
            h.check(rc == 0, f"start ({err.strip()})")
            vm = d.wait_state("q", ("running",))
            pid = vm and vm.get("pid")
            time.sleep(0.3)
            version, cg = cpu_cgroup(pid) if pid else (None, None)
            h.check(cg and cg.endswith(f"/vessel-{pid}") and quota_of(version, cg) == "30000 100000",
                    f"the manager's VM runs in its own cgroup with the quota: {cg}")
            if how == "vessel kill":
                rc, _, err = d.vessel("kill", "q")
                h.check(rc == 0, f"vessel kill q ({err.strip()})")
            d.wait_state("q", ("stopped", "crashed"), timeout=30)
            h.check(cg and wait_gone(cg, 10), f"after '{how}' no cgroup is left: {cg}")
        rc, _, err = d.vessel("rm", "q")
        h.check(rc == 0, f"vessel rm q ({err.strip()})")
    finally:
        if h._failures:
            print("---- daemon log ----\n" + d.log()[-3000:])
        d.cleanup()


# --- (c) bad input -----------------------------------------------------------
def expect_error(args, status, pattern, what, prefix=()):
    p = subprocess.run([*prefix, h.VESSEL, "run", "--kernel", h.GUEST, *args], capture_output=True,
                       text=True, timeout=60)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    ok = h.check(p.returncode == status, f"{what}: exit status {p.returncode} == {status}")
    ok &= h.check(any(pattern in l for l in lines), f"{what}: stderr says {pattern!r}")
    if not ok:
        print("    stderr was: " + p.stderr.strip()[:500])
    return p


def test_bad_input():
    online = parse_cpulist(open("/sys/devices/system/cpu/online").read())
    absent = max(online) + 1
    n = len(online)
    expect_error(["--cpus", f"2,affinity={absent}"], h.STATUS_USAGE,
                 f"--cpus affinity={absent}: this host has CPUs", "a CPU the host lacks")
    expect_error(["--cpus", "2,affinity=0-1,4096"], h.STATUS_USAGE, "up to 1023", "a CPU number beyond any host")
    expect_error(["--cpus", "2,affinity=1-0"], h.STATUS_USAGE, "a range goes upwards", "a backwards range")
    expect_error(["--cpus", "2,affinity=zero"], h.STATUS_USAGE, "not a CPU number", "a CPU list that is junk")
    expect_error(["--cpus", "2,affinity="], h.STATUS_USAGE, "empty", "an empty CPU list")
    expect_error(["--cpus", "2,affinity=0,,1"], h.STATUS_USAGE, "empty item", "a stray comma")
    expect_error(["--cpus", "2,pin=yes"], h.STATUS_USAGE, "expected 'on' or 'off'", "pin=yes")
    expect_error(["--cpus", "2,speed=9"], h.STATUS_USAGE, "unknown key 'speed'", "an unknown --cpus key")
    expect_error(["--cpus", "2,affinity=0,affinity=0"], h.STATUS_USAGE, "given twice", "affinity twice")
    expect_error(["--vmm-affinity", str(absent)], h.STATUS_USAGE, f"--vmm-affinity {absent}: this host has CPUs",
                 "--vmm-affinity on a CPU the host lacks")
    expect_error(["--vmm-affinity", "x"], h.STATUS_USAGE, "not a CPU number", "--vmm-affinity junk")
    expect_error(["--cpu-quota", "0"], h.STATUS_USAGE, "at least 1", "quota 0")
    expect_error(["--cpu-quota", "lots"], h.STATUS_USAGE, "expected a whole percentage", "quota junk")
    expect_error(["--cpu-quota", "-5"], h.STATUS_USAGE, "expected a whole percentage", "negative quota")
    expect_error(["--cpu-quota", "2.5"], h.STATUS_USAGE, "expected a whole percentage", "fractional quota")
    expect_error(["--cpu-quota", str(100 * n + 1)], h.STATUS_USAGE, f"this host has {n} CPUs, so at most {100 * n}",
                 "a quota above every CPU of the host")
    expect_error(["--cpu-quota"], h.STATUS_USAGE, "needs a value", "quota without a value")
    rc, out, _ = h.run_vessel(["run", "--help"])
    h.check(rc == 0 and "--cpu-quota" in out and "--vmm-affinity" in out and "pin=on" in out,
            "vessel run --help describes the CPU options")

    # No permission for cgroups: an unprivileged user.
    if os.geteuid() != 0:
        skipped.append("no-permission case (needs root to switch to an unprivileged user)")
        print("  SKIP: no cgroup permission: needs root to run vessel as an unprivileged user")
        return
    if not shutil.which("setpriv"):
        skipped.append("no-permission case (setpriv missing)")
        print("  SKIP: no cgroup permission: setpriv (util-linux) is missing")
        return
    version, home = cpu_cgroup(os.getpid())
    if home is None:
        skipped.append("no-permission case (no cgroup hierarchy with the cpu controller)")
        print("  SKIP: no cgroup permission: no cgroup hierarchy with the cpu controller")
        return
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    # Where a cgroup would appear: under ours, or (v2, shared) under <mount>/vessel.
    places = [home] + ([os.path.join(mount_of(home), "vessel")] if version == 2 else [])
    before = {d: set(os.listdir(d)) if os.path.isdir(d) else set() for d in places}
    p = expect_error(["--cpu-quota", "50"], 1, "--cpu-quota", "no cgroup permission (as nobody)", nobody)
    h.check(("Permission denied" in p.stderr or "Read-only" in p.stderr)
            and ("needs root" in p.stderr or "Delegate=yes" in p.stderr),
            f"... says permission is missing and what is needed: {p.stderr.strip()[:300]}")
    h.check(len([l for l in p.stderr.splitlines() if l.strip()]) == 1, "... in one line")
    p = expect_error(["--cpu-quota", "50", "--dry-run"], 1, "--cpu-quota", "--dry-run as nobody", nobody)
    new = {d: (set(os.listdir(d)) if os.path.isdir(d) else set()) - before[d] for d in places}
    h.check(not any(new.values()), f"nothing was created: {new}")


h.require_kvm()
test_bad_input()
test_pinning()
if os.geteuid() != 0:
    skipped.append("CPU quota (cgroups need root)")
    print("SKIP part: CPU quota and its cgroups need root", flush=True)
elif cpu_cgroup(os.getpid())[0] is None:
    skipped.append("CPU quota (no cgroup hierarchy with the cpu controller)")
    print("SKIP part: no cgroup hierarchy with the cpu controller is mounted", flush=True)
else:
    test_quota()
    test_manager_quota()
if not h._failures and skipped:
    h.skip("checked what could run; not run: " + "; ".join(skipped))
h.finish("pinning, --vmm-affinity, CPU quota via cgroups (direct and managed), bad input")
