#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--memory SIZE,prefault=on|mergeable=on|hugepages=on: what backs guest RAM on
the host, seen from the host (vessel --stats, /proc/PID/smaps, KSM's
per-process counter) while the guest checks its memory reads back.

prefault: all of guest RAM is resident before the guest runs. mergeable: the
RAM mapping carries VM_MERGEABLE ("mg"), and as root with KSM started for the
test, KSM merges its identical (zero) pages. hugepages: as root, 2 MiB pages
are reserved for the test and the RAM mapping uses them; a host short of huge
pages gets a clear error before boot. Host settings are put back after."""
import os
import time

import harness as h

MiB = 1 << 20
KSM = "/sys/kernel/mm/ksm/"
HUGE_2M = "/sys/kernel/mm/hugepages/hugepages-2048kB/"
ROOT = os.geteuid() == 0


def read_int(path):
    with open(path) as f:
        return int(f.read().split()[0])


def write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def stats(vm):
    for line in vm.err.decode(errors="replace").splitlines():
        if "vessel: stats:" in line:
            return dict(kv.split("=", 1) for kv in line.split()[2:] if "=" in kv)
    return {}


def ram_mapping(pid, size_kib):
    """The smaps block of the guest RAM mapping (the one of exactly size_kib), as a dict."""
    with open(f"/proc/{pid}/smaps") as f:
        block = None
        for line in f:
            head = line.split()
            if "-" in head[0] and not head[0].endswith(":"):
                if block and block.get("Size") == f"{size_kib} kB":
                    return block
                block = {}
                continue
            key, _, val = line.partition(":")
            block[key] = val.strip()
        if block and block.get("Size") == f"{size_kib} kB":
            return block
    return None


def running_vm(memory, commands="memtest,tick:100:30,poweroff"):
    vm = h.Vm("--stats", cmdline="console=ttyS0 run=" + commands, memory=memory)
    if not vm.expect(r"^tick=1 ", timeout=60):
        vm.dump()
    return vm


def finish_vm(vm, label):
    status = vm.wait(60)
    v = vm.values()
    ok = h.check(status == h.STATUS_POWEROFF, f"{label}: exit status {status}")
    ok &= h.check(v.get("memtest.ok") == "1", f"{label}: the guest's memtest reads back every page")
    if not ok:
        vm.dump()


def test_prefault():
    lazy = h.run_guest(["poweroff"], "--stats", memory="128M")
    eager = h.run_guest(["poweroff"], "--stats", memory="128M,prefault=on")
    lazy_kib = int(stats(lazy).get("guest_resident_kib", -1))
    eager_kib = int(stats(eager).get("guest_resident_kib", -1))
    h.check(eager.status == h.STATUS_POWEROFF and eager_kib == 128 * 1024,
            f"prefault=on: all 128 MiB resident at power-off ({eager_kib} KiB)")
    h.check(0 <= lazy_kib < 64 * 1024, f"default: guest RAM touched lazily ({lazy_kib} KiB resident)")


def test_mergeable():
    # Prefaulted and never written by the guest: 128 MiB of identical (zero) pages.
    vm = running_vm("128M,mergeable=on,prefault=on", "tick:100:300")
    plain = running_vm("128M,prefault=on", "tick:100:300")
    block = ram_mapping(vm.proc.pid, 128 * 1024)
    h.check(block is not None and "mg" in block.get("VmFlags", "").split(),
            f"mergeable=on: the RAM mapping is VM_MERGEABLE ({block and block.get('VmFlags')})")
    block = ram_mapping(plain.proc.pid, 128 * 1024)
    h.check(block is not None and "mg" not in block.get("VmFlags", "").split(),
            "default: the RAM mapping is not offered to KSM")
    if not ROOT or not os.path.exists(KSM + "run"):
        print("SKIP: KSM merging itself: needs root and a kernel with KSM", flush=True)
    else:
        saved = {k: read_int(KSM + k) for k in ("run", "pages_to_scan", "sleep_millisecs")}
        try:
            write(KSM + "pages_to_scan", 20000)
            write(KSM + "sleep_millisecs", 10)
            write(KSM + "run", 1)
            merged = 0
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and merged < 1024 and vm.proc.poll() is None:
                merged = read_int(f"/proc/{vm.proc.pid}/ksm_merging_pages")
                time.sleep(0.2)
            other = read_int(f"/proc/{plain.proc.pid}/ksm_merging_pages") if plain.proc.poll() is None else -1
            h.check(merged >= 1024, f"KSM merged the guest's identical pages ({merged} pages)")
            h.check(other == 0, f"KSM left the VM without mergeable=on alone ({other} pages)")
        finally:
            for k in ("pages_to_scan", "sleep_millisecs", "run"):
                write(KSM + k, saved[k])
    for v, label in ((vm, "mergeable=on"), (plain, "default")):
        h.check(v.proc.poll() is None, f"{label}: the VM ran on throughout")
        v.kill()


def test_hugepages():
    free = read_int(HUGE_2M + "free_hugepages") - read_int(HUGE_2M + "resv_hugepages")
    want = (free + 8) * 2 * MiB
    st, _, err = h.run_vessel(["run", "--kernel", h.GUEST, "--memory", f"{max(want, 16 * MiB) // MiB}M,hugepages=on"])
    h.check(st != 0 and "huge pages of 2M needed" in err and "nr_hugepages" in err,
            f"too few huge pages: a clear error before boot (status {st}: {err.strip()[:200]})")
    if not ROOT:
        print("SKIP: booting on huge pages: needs root to reserve them", flush=True)
        return
    saved = read_int(HUGE_2M + "nr_hugepages")
    try:
        write(HUGE_2M + "nr_hugepages", saved + 64)
        if read_int(HUGE_2M + "free_hugepages") - read_int(HUGE_2M + "resv_hugepages") < 64:
            print("SKIP: booting on huge pages: the host could not reserve 64 of them", flush=True)
            return
        vm = running_vm("128M,hugepages=on")
        block = ram_mapping(vm.proc.pid, 128 * 1024)
        h.check(block is not None and block.get("KernelPageSize") == "2048 kB",
                f"hugepages=on: guest RAM is mapped with 2 MiB pages ({block and block.get('KernelPageSize')})")
        finish_vm(vm, "hugepages=on")
    finally:
        write(HUGE_2M + "nr_hugepages", saved)


h.require_kvm()
test_prefault()
test_mergeable()
if os.path.exists(HUGE_2M):
    test_hugepages()
else:
    print("SKIP: hugepages: this kernel has no 2 MiB huge pages", flush=True)
h.finish()
