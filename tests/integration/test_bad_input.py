#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Bad input gets one clear line on stderr and a non-zero exit, never a crash:
no /dev/kvm or no permission, bad kernels and initrds, bad sizes and counts,
unknown flags. None of these needs a VM to boot."""
import os
import shutil
import struct
import subprocess
import tempfile

import harness as h

tmp = tempfile.mkdtemp(prefix="vessel-bad-input-")


def path(name, data):
    p = os.path.join(tmp, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def expect_error(args, status, pattern, what, kvm_needed=True):
    if kvm_needed and not os.path.exists("/dev/kvm"):
        print(f"  skip: {what} (needs /dev/kvm to get past the KVM check)")
        return
    rc, out, err = h.run_vessel(args)
    lines = [l for l in err.splitlines() if l.strip()]
    ok = h.check(rc == status, f"{what}: exit status {rc} == {status}")
    ok &= h.check(any(pattern in l for l in lines), f"{what}: stderr names the problem ({pattern!r})")
    ok &= h.check(rc < 128, f"{what}: no crash (status {rc})")
    if not ok:
        print("    stderr was: " + err.strip()[:500])


guest = open(h.GUEST, "rb").read() if os.path.exists(h.GUEST) else None
K = ["run", "--kernel"]

# The command line itself (no KVM needed to reject these).
expect_error(["run", "--bogus"], h.STATUS_USAGE, "unknown option '--bogus'", "unknown flag", False)
expect_error(["frobnicate"], h.STATUS_USAGE, "unknown command", "unknown command", False)
expect_error(["run", "--memory", "lots"], h.STATUS_USAGE, "not a size", "unparsable memory", False)
expect_error(["run", "--memory", "0"], h.STATUS_USAGE, "at least", "zero memory", False)
expect_error(["run", "--memory", "100T"], h.STATUS_USAGE, "more than this host has", "memory beyond the host", False)
expect_error(["run", "--cpus", "0"], h.STATUS_USAGE, "at least one vCPU", "zero cpus", False)
expect_error(["run", "--cpus", "999"], h.STATUS_USAGE, "at most", "too many cpus", False)
expect_error(["run", "--cpus", "two"], h.STATUS_USAGE, "not a number", "cpus not a number", False)
expect_error(["run", "--cpus"], h.STATUS_USAGE, "needs a value", "missing value", False)
expect_error(["run", "--on-reboot", "maybe"], h.STATUS_USAGE, "expected 'restart' or 'exit'", "bad --on-reboot", False)

# Kernels and initrds.
expect_error(K + [os.path.join(tmp, "missing")], h.STATUS_ERROR, "No such file", "missing kernel")
expect_error(K + [path("random", os.urandom(8192))], h.STATUS_ERROR, "not a Linux bzImage", "not a kernel")
expect_error(K + [path("empty", b"")], h.STATUS_ERROR, "kernel", "empty kernel")
if guest:
    expect_error(K + [path("truncated", guest[:1024])], h.STATUS_ERROR, "truncated", "truncated bzImage")
    old = bytearray(guest)
    struct.pack_into("<H", old, 0x206, 0x0201)
    expect_error(K + [path("old", bytes(old))], h.STATUS_ERROR, "too old", "boot protocol 2.01")
    big = os.path.join(tmp, "big-initrd")
    with open(big, "wb") as f:
        f.truncate(200 << 20)
    expect_error(K + [h.GUEST, "--initrd", big, "--memory", "64M"], h.STATUS_ERROR, "initrd",
                 "initrd larger than guest RAM")
    expect_error(K + [h.GUEST, "--initrd", os.path.join(tmp, "nope")], h.STATUS_ERROR, "initrd",
                 "missing initrd")
    expect_error(K + [h.GUEST, "--cmdline", "x" * 70000], h.STATUS_ERROR, "too long",
                 "command line too long")

# /dev/kvm missing, and without permission (both need root to arrange).
if os.geteuid() == 0 and shutil.which("unshare") and guest:
    rc = subprocess.run(["unshare", "-m", "sh", "-c",
                         f"mount -t tmpfs none /dev && exec {h.VESSEL} run --kernel {h.GUEST}"],
                        capture_output=True, text=True, timeout=30)
    h.check(rc.returncode == h.STATUS_ERROR and "/dev/kvm does not exist" in rc.stderr,
            f"no /dev/kvm: status {rc.returncode}, '{rc.stderr.strip()[:120]}'")
    if os.path.exists("/dev/kvm") and shutil.which("setpriv"):
        rc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             h.VESSEL, "run", "--kernel", h.GUEST],
                            capture_output=True, text=True, timeout=30)
        h.check(rc.returncode == h.STATUS_ERROR and "permission denied" in rc.stderr,
                f"/dev/kvm not accessible: status {rc.returncode}, '{rc.stderr.strip()[:120]}'")
else:
    print("  skip: /dev/kvm missing/permission cases need root, unshare and the test guest")

shutil.rmtree(tmp)
h.finish("every bad input was refused clearly")
