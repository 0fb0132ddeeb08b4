#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Early boot of the Debian cloud kernel under vessel (2 vCPUs, 512M).

Checks what the kernel prints about the machine vessel built for it: the
e820 map (from layout.h), the command line, the ACPI tables (RSDP with OEM
"VESSEL" inside the ACPI area, FACP, APIC, DSDT) and the CPU count from the
MADT. Stops vessel as soon as everything was seen.

Time limit: 60 s on a normal KVM host; on kvm_pvm hosts (guest kernel mode
emulated at ~1.5M instructions/s) 600 s, which includes decompressing the
bzImage. Both are below the Meson timeout in tests/linux/meson.build.
"""

import re

import linux_harness as h

CPUS = 2
MEMORY_MIB = 512
LIMIT_KVM = 60
LIMIT_PVM = 600
CMDLINE = ("console=ttyS0 earlyprintk=serial,ttyS0 loglevel=8 panic=-1 "
           "vessel.test=early-boot")


def e820_line(start, end, kind):
    return re.compile(r"BIOS-e820: \[mem 0x%016x-0x%016x\] %s" % (start, end, kind))


def expectations():
    ebda = h.layout_constant("LAYOUT_EBDA_GPA")
    high = h.layout_constant("LAYOUT_HIGH_MEM_GPA")
    hole = h.layout_constant("LAYOUT_MMIO_HOLE_GPA")
    acpi = h.layout_constant("LAYOUT_ACPI_GPA")
    acpi_size = h.layout_constant("LAYOUT_ACPI_SIZE")
    ram_end = min(MEMORY_MIB << 20, hole)

    def rsdp_ok(out):
        m = re.search(r"ACPI: RSDP 0x([0-9A-Fa-f]+) [0-9A-Fa-f]+ \(v\d+ VESSEL", out)
        return bool(m) and acpi <= int(m.group(1), 16) < acpi + acpi_size

    def cpus_ok(out):
        if re.search(r"smpboot: Allowing %d CPUs, 0 hotplug CPUs" % CPUS, out):
            return True
        return len(re.findall(r"ACPI: LAPIC \(acpi_id\[0x[0-9a-f]+\] "
                              r"lapic_id\[0x[0-9a-f]+\] enabled\)", out)) == CPUS

    def rx(pattern):
        return lambda out: re.search(pattern, out) is not None

    # (description, predicate over the whole console output so far)
    return [
        ("e820 low RAM [0, EBDA) usable",
         lambda o: e820_line(0, ebda - 1, "usable").search(o) is not None),
        ("e820 EBDA..1 MiB reserved",
         lambda o: e820_line(ebda, high - 1, "(reserved|ACPI data)").search(o) is not None),
        ("e820 1 MiB..%d MiB usable" % (ram_end >> 20),
         lambda o: e820_line(high, ram_end - 1, "usable").search(o) is not None),
        ("Command line: " + CMDLINE,
         rx(r"(?m)Command line: " + re.escape(CMDLINE) + r"\s*$")),
        ("ACPI: RSDP ... VESSEL inside the ACPI area", rsdp_ok),
        ("ACPI: FACP", rx(r"ACPI: FACP 0x")),
        ("ACPI: APIC", rx(r"ACPI: APIC 0x")),
        ("ACPI: DSDT", rx(r"ACPI: DSDT 0x")),
        ("%d CPUs from the MADT" % CPUS, cpus_ok),
    ]


def main():
    args = h.parse_args(__doc__)
    h.require_kvm()
    h.require_vessel(args.vessel)
    guest = h.fetch_guest(args.fetch)
    pvm = h.is_pvm_host()
    limit = LIMIT_PVM if pvm else LIMIT_KVM
    checks = expectations()

    def missing(out):
        return [d for d, ok in checks if not ok(out)]

    argv = [args.vessel, "run", "--kernel", guest["kernel"],
            "--initrd", guest["initrd"], "--cmdline", CMDLINE,
            "--cpus", str(CPUS), "--memory", "%dM" % MEMORY_MIB,
            "--on-reboot", "exit"]
    print("limit %d s (%s host)" % (limit, "kvm_pvm" if pvm else "KVM"), flush=True)
    run = h.run_vessel(argv, limit, done=lambda out: not missing(out))
    miss = missing(run.out)
    if not miss:
        h.passed("kernel saw vessel's e820, command line, ACPI tables and %d CPUs "
                 "(%.0f s, %s)" % (CPUS, run.elapsed,
                                   "stopped" if run.stopped_early else h.describe_exit(run.rc)))
    print("--- vessel stderr ---")
    print(run.tail())
    why = ("no sign of it within the %d s limit" % limit if run.rc is None
           else "vessel ended first: " + h.describe_exit(run.rc))
    h.failed("missing %s (%s)" % ("; ".join(miss), why))


if __name__ == "__main__":
    main()
