#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""virtio-rng over PCI: the guest enumerates the PCI bus (ECAM from our MCFG),
finds the modern virtio-pci function, negotiates features, sets up a queue
with an MSI-X vector, and receives host entropy with interrupts delivered
through irqfd. A hostile driver (descriptors outside RAM, looping chains,
notifications before DRIVER_OK, reset mid-request) gets NEEDS_RESET or is
ignored, per the virtio spec, and the device works again after a reset."""
import harness as h

h.require_kvm()

vm = h.run_guest(["pci", "rng:65536", "poweroff"], "--rng", cpus=2, memory="128M")
v = vm.values()
ok = h.check(vm.status == h.STATUS_POWEROFF, f"exit status {vm.status} == 0")
ok &= h.check(any(val.startswith("1af4:1044") for k, val in v.items() if k.startswith("pci.") and ":" in k),
              "the guest finds a virtio-rng PCI function (1af4:1044)")
ok &= h.check(v.get("rng.ok") == "1", f"rng.ok=1 ({v.get('rng.error', '')})")
ok &= h.check(v.get("rng.bytes") == "65536", f"rng.bytes={v.get('rng.bytes')}")
ok &= h.check(int(v.get("rng.irqs", "0")) >= 1, f"completions came by MSI-X interrupt (rng.irqs={v.get('rng.irqs')})")
if not ok:
    vm.dump()

vm = h.run_guest(["pci", "poweroff"], cpus=1, memory="128M")
v = vm.values()
h.check(not any(val.startswith("1af4:") for k, val in v.items() if k.startswith("pci.") and ":" in k),
        "without --rng there is no virtio function")

cases = ["oob", "loop", "notify-early", "reset-mid"]
vm = h.run_guest([f"virtio-bad:{c}" for c in cases] + ["rng:4096", "poweroff"], "--rng", memory="128M")
v = vm.values()
ok = h.check(vm.status == h.STATUS_POWEROFF, f"after the bad driver, exit status {vm.status} == 0")
for c in ("oob", "loop"):
    st = int(v.get(f"virtio-bad.{c}.status", "0"), 0)
    ok &= h.check(st & 0x40, f"{c}: the device reports NEEDS_RESET (status 0x{st:x})")
for c in cases:
    ok &= h.check(v.get(f"virtio-bad.{c}.recovered") == "1", f"{c}: the device works again after a reset")
ok &= h.check(v.get("rng.ok") == "1", "entropy still flows at the end")
if not ok:
    vm.dump()
h.finish()
