#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Guest RAM from 64 MiB to above 4 GiB: the e820 map the guest sees adds up to
what was asked (minus the legacy holes), and every page the guest writes in
user mode reads back, up to the last page of RAM above the 4 GiB line."""
import harness as h

MiB = 1 << 20
HOLE_START = 0xC0000000          # the 32-bit PCI hole (src/arch/x86/layout.h)
LEGACY_HOLE = 0x100000 - 0x9FC00  # EBDA, VGA and BIOS area are not RAM

h.require_kvm()
for mem in (64 * MiB, 512 * MiB, 3072 * MiB, 6144 * MiB):
    vm = h.run_guest(["info", "memtest", "poweroff"], memory=f"{mem // MiB}M", timeout=180)
    v = vm.values()
    label = f"{mem // MiB} MiB"
    ok = h.check(vm.status == h.STATUS_POWEROFF, f"{label}: exit status {vm.status} == 0")
    total = int(v.get("mem.total", "0"), 0)
    ok &= h.check(total == mem - LEGACY_HOLE, f"{label}: e820 RAM {total} == {mem - LEGACY_HOLE}")
    ok &= h.check(v.get("memtest.ok") == "1", f"{label}: memtest.ok ({v.get('memtest.fail', '')})")
    top = int(v.get("memtest.top", "0"), 0)
    expect_top = (mem - HOLE_START + (1 << 32) if mem > HOLE_START else mem) - 4096
    ok &= h.check(top >= expect_top, f"{label}: tested up to 0x{top:x} (last page 0x{expect_top:x})")
    if not ok:
        vm.dump()
h.finish("64 MiB .. 6 GiB")
