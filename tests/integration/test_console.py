#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Console input round trip: what is typed on vessel's stdin reaches the guest
through the 16550's receive interrupt, and the guest's answer comes back on
stdout. Also a paste longer than the UART FIFO, and Ctrl-A x ending the VM."""
import harness as h

h.require_kvm()
vm = h.Vm(cmdline="console=ttyS0")
ok = h.check(vm.expect(r"guest> ", timeout=60) is not None, "the guest shell prompts")
vm.send("echo\r")
vm.send("hello from the host\r")
ok &= h.check(vm.expect(r"^echo=hello from the host\r?$", timeout=30) is not None, "echo round trip")
long_line = "x" * 200
vm.send("echo\r" + long_line + "\r")
ok &= h.check(vm.expect(r"^echo=" + long_line + r"\r?$", timeout=30) is not None,
              "a 200-byte paste (more than the 16-byte FIFO) arrives whole")
vm.send(b"\x01x")
status = vm.wait(30)
ok &= h.check(status == h.STATUS_POWEROFF, f"Ctrl-A x ends vessel with status 0 (got {status})")
if not ok:
    vm.dump()
h.finish()
