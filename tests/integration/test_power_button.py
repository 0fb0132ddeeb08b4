#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The ACPI power button: Ctrl-A p pulses the GED's interrupt, the guest (which
found that interrupt in the DSDT's ACPI0013 _CRS) sees it and powers off, and
vessel exits 0. Also the tick command that pause/resume tests lean on: ticks
timed by the LAPIC timer, numbered without gaps."""
import re
import time

import harness as h

h.require_kvm()

# Power button while the guest waits for it.
vm = h.Vm(cmdline="console=ttyS0 run=powerwait:30")
ok = h.check(vm.expect(r"^powerwait=armed\r?$", timeout=60) is not None, "the guest arms the power button")
gsi = vm.values().get("powerwait.gsi")
ok &= h.check(gsi == "9", f"the guest found GSI 9 in the DSDT (got {gsi})")
pressed = time.monotonic()
vm.send(b"\x01p")
ok &= h.check(vm.expect(r"^powerbutton=1\r?$", timeout=10) is not None, "Ctrl-A p reaches the guest")
status = vm.wait(15)
took = time.monotonic() - pressed
ok &= h.check(status == h.STATUS_POWEROFF, f"the guest powers off: status 0 (got {status})")
ok &= h.check(took < 10, f"within 10 s of the press (took {took:.1f} s)")
ok &= h.check("powerbutton=0" not in vm.text, "no timeout reported")
if not ok:
    vm.dump()

# No press: the wait times out and the run list goes on.
vm = h.run_guest(["powerwait:1", "poweroff"], timeout=60)
ok = h.check("powerbutton=0" in vm.text, "without a press powerwait times out with powerbutton=0")
ok &= h.check(vm.status == h.STATUS_POWEROFF, f"then poweroff: status 0 (got {vm.status})")
if not ok:
    vm.dump()

# tick:100:20: 20 lines, n = 1..20 in order, TSC increasing, about 100 ms apart.
vm = h.run_guest(["tick:100:20", "poweroff"], timeout=60)
ticks = [(int(n), int(t)) for n, t in re.findall(r"^tick=(\d+) tsc=(\d+)\r?$", vm.text, re.M)]
ok = h.check([n for n, _ in ticks] == list(range(1, 21)), f"20 ticks numbered 1..20 (got {[n for n, _ in ticks]})")
ok &= h.check(all(b[1] > a[1] for a, b in zip(ticks, ticks[1:])), "the TSC increases tick to tick")
ok &= h.check("tick.done=20" in vm.text, "tick.done=20")
ok &= h.check(vm.status is not None and vm.elapsed >= 2.0,
              f"20 ticks of 100 ms take at least 2 s (took {getattr(vm, 'elapsed', 0):.1f} s)")
ok &= h.check(vm.status == h.STATUS_POWEROFF, f"status 0 (got {vm.status})")
if not ok:
    vm.dump()
h.finish()
