#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""virtio-console: with --console virtio the guest finds one virtio-console
(hvc0, 80x25 when stdout is not a tty), what it writes there reaches stdout
next to the UART's output, what is typed on stdin reaches hvc0 (a line, then
a 200-byte paste spread over several small receive buffers, held in vessel
while the guest has no buffers posted), the emergency write register works,
and Ctrl-A x still ends the VM. Without --console virtio there is no hvc."""
import harness as h

h.require_kvm()

cmds = ["hvc", "hvcwrite:hello-hvc", "hvcemerg:emerg-hvc", "hvcecho", "hvcecho"]
vm = h.Vm("--console", "virtio", cmdline="console=ttyS0 run=" + ",".join(cmds), memory="128M")
ok = h.check(vm.expect(r"^hvcemerg\.ok=1\r?$", timeout=60) is not None, "the guest wrote to hvc0")
v = vm.values()
ok &= h.check(v.get("hvc.count") == "1", f"hvc.count=1 (got {v.get('hvc.count')})")
ok &= h.check(v.get("hvc.cols") == "80" and v.get("hvc.rows") == "25",
              f"console size 80x25 (got {v.get('hvc.cols')}x{v.get('hvc.rows')})")
ok &= h.check(v.get("hvcwrite.ok") == "1", "hvcwrite.ok=1")
lines = [l.rstrip("\r") for l in vm.text.splitlines()]
ok &= h.check("hello-hvc" in lines, "hvc0's output (hello-hvc) shows on stdout")
ok &= h.check("emerg-hvc" in lines, "emergency writes (emerg-hvc) show on stdout")
ok &= h.check(any(l.startswith("vessel-guest: boot") for l in lines), "the UART's output still shows")

# The guest may not have opened hvc0 yet: vessel holds the input until it has.
vm.send("typed on the host\n")
ok &= h.check(vm.expect(r"^hvcecho=typed on the host\r?$", timeout=60) is not None,
              "a line typed on stdin reaches hvc0")
paste = "".join(chr(ord("a") + i % 26) for i in range(200))
vm.send(paste + "\n")
ok &= h.check(vm.expect(r"^hvcecho=" + paste + r"\r?$", timeout=60) is not None,
              "a 200-byte paste arrives whole")
ok &= h.check(vm.expect(r"^hvcecho\.len=200\r?$", timeout=30) is not None, "hvcecho.len=200")
vm.send(b"\x01x")
status = vm.wait(30)
ok &= h.check(status == h.STATUS_POWEROFF, f"Ctrl-A x ends vessel with status 0 (got {status})")
if not ok:
    vm.dump()

vm = h.run_guest(["hvc", "poweroff"], memory="128M")
ok = h.check(vm.status == h.STATUS_POWEROFF, f"without --console virtio: exit status {vm.status} == 0")
ok &= h.check(vm.values().get("hvc.count") == "0", "without --console virtio the guest sees no hvc device")
if not ok:
    vm.dump()

vm = h.run_guest(["hvc", "poweroff"], "--console", "serial", memory="128M")
ok = h.check(vm.values().get("hvc.count") == "0", "--console serial: no hvc device")
if not ok:
    vm.dump()

status, _, err = h.run_vessel(["run", "--console", "tty"])
h.check(status == h.STATUS_USAGE and "--console" in err, f"--console tty is a usage error (status {status})")
h.finish()
