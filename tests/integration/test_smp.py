#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The guest finds its vCPUs in our MADT and starts them all (INIT/SIPI through
the in-kernel LAPIC), with 1, 2, 4, 8 and 16 vCPUs on a 2-core host."""
import harness as h

h.require_kvm()
for cpus in (1, 2, 4, 8, 16):
    vm = h.run_guest(["info", "smp", "poweroff"], cpus=cpus, memory="256M", timeout=120)
    v = vm.values()
    ok = h.check(vm.status == h.STATUS_POWEROFF, f"{cpus} vCPUs: exit status {vm.status} == 0")
    ok &= h.check(v.get("cpus") == str(cpus), f"{cpus} vCPUs: guest's MADT lists cpus={v.get('cpus')}")
    ok &= h.check(v.get("smp.online") == str(cpus), f"{cpus} vCPUs: smp.online={v.get('smp.online')}")
    ok &= h.check(v.get("smp.ok") == "1", f"{cpus} vCPUs: every CPU ran its user-mode job")
    if not ok:
        vm.dump()
h.finish("1-16 vCPUs all came online")
