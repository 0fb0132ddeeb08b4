#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Full boot of the Debian cloud kernel under vessel with 1, 2 and 4 vCPUs.

The initramfs from fetch.sh loads the virtio modules, prints
VESSEL-LINUX-INIT-OK, nproc=<n>, mem=<kB>, modules=<list> and powers off;
vessel must then exit 0. Each boot has a 180 s limit.

Skipped on kvm_pvm hosts: guest kernel mode is emulated there (~1.5M
instructions/s), so a full boot takes far too long to be a test.
"""

import re

import linux_harness as h

MEMORY_MIB = 512
LIMIT = 180
CMDLINE = "console=ttyS0 panic=-1 vessel.test=full-boot"


def boot(args, guest, cpus):
    argv = [args.vessel, "run", "--kernel", guest["kernel"],
            "--initrd", guest["initrd"], "--cmdline", CMDLINE,
            "--cpus", str(cpus), "--memory", "%dM" % MEMORY_MIB,
            "--on-reboot", "exit"]
    run = h.run_vessel(argv, LIMIT)
    out = run.out
    problems = []
    if "VESSEL-LINUX-INIT-OK" not in out:
        problems.append("no VESSEL-LINUX-INIT-OK")
    for m in re.finditer(r"VESSEL-LINUX-INIT: (.*)", out):
        problems.append(m.group(1).strip())
    m = re.search(r"^nproc=(\d+)\s*$", out, re.M)
    if not m or int(m.group(1)) != cpus:
        problems.append("nproc=%s, want %d" % (m.group(1) if m else "?", cpus))
    m = re.search(r"^mem=(\d+)kB\s*$", out, re.M)
    # MemTotal is RAM less what the kernel keeps for itself.
    if not m or not (MEMORY_MIB * 1024 // 2 < int(m.group(1)) <= MEMORY_MIB * 1024):
        problems.append("mem=%s kB, want about %d MiB" % (m.group(1) if m else "?", MEMORY_MIB))
    m = re.search(r"^modules=(.*)$", out, re.M)
    loaded = set(m.group(1).strip().strip(",").split(",")) if m else set()
    for mod in ("virtio_pci", "virtio_blk", "virtio_net", "virtio_console"):
        if mod not in loaded:
            problems.append("module %s not loaded" % mod)
    if run.rc != 0:
        problems.append("vessel: %s, want exit 0 (powered off)" % h.describe_exit(run.rc))
    if problems:
        print("--- vessel stderr (%d vCPUs) ---" % cpus)
        print(run.tail())
    return problems, run.elapsed


def main():
    args = h.parse_args(__doc__)
    h.require_kvm()
    if h.is_pvm_host():
        h.skipped("kvm_pvm host: guest kernel mode runs emulated (~1.5M instr/s), "
                  "a full Linux boot does not fit a test; see test_linux_early_boot")
    h.require_vessel(args.vessel)
    guest = h.fetch_guest(args.fetch)
    failures = []
    times = []
    for cpus in (1, 2, 4):
        problems, elapsed = boot(args, guest, cpus)
        times.append("%d vCPU %.1f s" % (cpus, elapsed))
        print("%d vCPUs: %s (%.1f s)" % (cpus, "; ".join(problems) or "ok", elapsed),
              flush=True)
        failures += ["%d vCPUs: %s" % (cpus, p) for p in problems]
    if failures:
        h.failed("; ".join(failures))
    h.passed("booted to init, nproc matched and powered off: " + ", ".join(times))


if __name__ == "__main__":
    main()
