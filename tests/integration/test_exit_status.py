#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""How a VM ends decides vessel's exit status: ACPI power-off 0, ACPI/i8042
reset 3 with --on-reboot exit (or a restart by default), triple fault 4."""
import harness as h

h.require_kvm()

vm = h.run_guest(["poweroff"])
h.check(vm.status == h.STATUS_POWEROFF, f"ACPI poweroff -> 0 (got {vm.status})")

vm = h.Vm("--on-reboot", "exit", cmdline="console=ttyS0 run=reset")
status = vm.wait(60)
h.check(status == h.STATUS_RESET, f"guest reset with --on-reboot exit -> 3 (got {status})")
h.check("reset=requested" in vm.text, "the guest asked for the reset")

vm = h.Vm(cmdline="console=ttyS0 run=reset")
m = vm.expect(r"(vessel-guest: boot[\s\S]*){2}", timeout=60)
h.check(m is not None, "guest reset with the default --on-reboot restart boots the guest again")
h.check(b"restarting" in vm.err, "vessel says it restarts")
vm.kill()

vm = h.run_guest(["triplefault"])
h.check(vm.status == h.STATUS_TRIPLE_FAULT, f"triple fault -> 4 (got {vm.status})")
h.check(b"triple fault" in vm.err, "vessel names the triple fault on stderr")
h.finish()
