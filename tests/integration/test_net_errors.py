#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--net bad input: a bad MAC, an unknown option, a bad TAP name or too many
NICs is a usage error (status 2); a TAP that cannot be opened (no
CAP_NET_ADMIN, no /dev/net/tun) or a hostfwd port already taken is status 1
with a clear line, before the guest boots. And a VM with user networking
and a TAP NIC starts and powers off cleanly with the devices on its bus."""
import os
import shutil
import socket
import subprocess

import harness as h


def expect_error(args, status, pattern, what, kvm_needed=True):
    if kvm_needed and not os.path.exists("/dev/kvm"):
        print(f"  skip: {what} (needs /dev/kvm)")
        return
    rc, out, err = h.run_vessel(args)
    ok = h.check(rc == status, f"{what}: exit status {rc} == {status}")
    ok &= h.check(pattern in err, f"{what}: stderr names the problem ({pattern!r})")
    ok &= h.check("vessel-guest: boot" not in out, f"{what}: refused before boot")
    if not ok:
        print("    stderr was: " + err.strip()[:500])


R = ["run", "--kernel", h.GUEST]
U = h.STATUS_USAGE

# The command line itself: no KVM needed.
expect_error(["run", "--net", "user,mac=52:54:00:12:34"], U, "mac '52:54:00:12:34'", "short MAC", False)
expect_error(["run", "--net", "user,mac=01:00:5e:00:00:01"], U, "unicast", "multicast MAC", False)
expect_error(["run", "--net", "tap=t0,mac=zz:54:00:12:34:56"], U, "mac 'zz", "non-hex MAC", False)
expect_error(["run", "--net", "user,speed=fast"], U, "unknown option 'speed=fast'", "unknown option", False)
expect_error(["run", "--net", "bridge=br0"], U, "expected tap=NAME or user", "unknown backend", False)
expect_error(["run", "--net", "tap=" + "x" * 16], U, "1 to 15 characters", "tap name too long", False)
expect_error(["run", "--net", "tap=a/b"], U, "without '/'", "tap name with '/'", False)
expect_error(["run", "--net", "user,hostfwd=tcp::99999-:22"], U, "hostfwd 'tcp::99999-:22'", "bad hostfwd", False)
expect_error(["run", "--net", "tap=t0,hostfwd=tcp::2222-:22"], U, "'user' networking only", "hostfwd on tap", False)
expect_error(["run"] + ["--net", "user"] * 5, U, "at most 4", "five NICs", False)
expect_error(["run", "--net"], U, "needs a value", "--net without a value", False)

h.require_kvm()

# A TAP that cannot be opened: status 1, before boot.
if os.geteuid() == 0 and shutil.which("setpriv"):
    rc = subprocess.run(["setpriv", "--inh-caps=-net_admin", "--bounding-set=-net_admin", h.VESSEL] + R +
                        ["--net", "tap=vsl-noperm0"], capture_output=True, text=True, timeout=30)
    h.check(rc.returncode == h.STATUS_ERROR and "tap vsl-noperm0: permission denied" in rc.stderr,
            f"no CAP_NET_ADMIN: status {rc.returncode}, '{rc.stderr.strip()[-160:]}'")
else:
    print("  skip: the permission case needs root and setpriv")
if os.geteuid() == 0 and shutil.which("unshare"):
    rc = subprocess.run(["unshare", "-m", "sh", "-c",
                         f"mount -t tmpfs none /dev/net && exec {h.VESSEL} {' '.join(R)} --net tap=vsl-notun0"],
                        capture_output=True, text=True, timeout=30)
    h.check(rc.returncode == h.STATUS_ERROR and "/dev/net/tun does not exist" in rc.stderr,
            f"no /dev/net/tun: status {rc.returncode}, '{rc.stderr.strip()[-160:]}'")
else:
    print("  skip: the missing /dev/net/tun case needs root and unshare")

# A hostfwd port someone else holds.
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 0))
s.listen(1)
port = s.getsockname()[1]
expect_error(R + ["--net", f"user,hostfwd=tcp::{port}-:22"], h.STATUS_ERROR, f"host port {port}", "hostfwd port in use")
s.close()

# The good case: both backends, the NICs on the bus, a clean exit.
tap_ok = os.geteuid() == 0 and os.path.exists("/dev/net/tun")
args = ["--net", "user"]
if tap_ok:
    args += ["--net", "tap=vsl-test0,mac=52:54:00:00:00:01"]
vm = h.run_guest(["pci", "poweroff"], *args, memory="128M")
v = vm.values()
nics = [val for k, val in v.items() if k.startswith("pci.") and val.startswith("1af4:1041")]
ok = h.check(vm.status == h.STATUS_POWEROFF, f"exit status {vm.status} == 0")
ok &= h.check(len(nics) == (2 if tap_ok else 1), f"the guest sees {len(nics)} virtio-net functions (1af4:1041)")
if not ok:
    vm.dump()
if tap_ok:
    h.check(not os.path.exists("/sys/class/net/vsl-test0"), "the TAP vessel created is gone after exit")
h.finish("bad --net input was refused clearly; good NICs appear on the bus")
