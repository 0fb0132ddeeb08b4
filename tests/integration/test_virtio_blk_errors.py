#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--disk errors: a bad option is a usage error (status 2); a disk that cannot
be used (missing, unreadable, size not a multiple of 512, locked by another
running vessel) ends vessel with status 1 and one clear line before the guest
boots. Then the second VM may use the disk once the first is gone."""
import os
import shutil
import subprocess
import tempfile

import harness as h

tmp = tempfile.mkdtemp(prefix="vessel-blk-errors-")


def disk(name, size):
    p = os.path.join(tmp, name)
    with open(p, "wb") as f:
        f.truncate(size)
    return p


def expect_error(args, status, pattern, what):
    rc, out, err = h.run_vessel(["run", "--kernel", h.GUEST, "--memory", "64M"] + args)
    lines = [l for l in err.splitlines() if l.strip() and not l.startswith("vessel: note:")]
    ok = h.check(rc == status, f"{what}: exit status {rc} == {status}")
    ok &= h.check(any(pattern in l for l in lines), f"{what}: stderr names the problem ({pattern!r})")
    if status == h.STATUS_ERROR:
        ok &= h.check(len(lines) == 1, f"{what}: one line on stderr ({len(lines)})")
    ok &= h.check("guest" not in out and "pci." not in out, f"{what}: the guest did not boot")
    if not ok:
        print("    stderr was: " + err.strip()[:500])


try:
    good = disk("good.img", 1 << 20)

    # The command line: usage errors, no KVM needed.
    expect_error(["--disk", "readonly=on"], h.STATUS_USAGE, "path=FILE is required", "missing path")
    expect_error(["--disk", f"path={good},foo=1"], h.STATUS_USAGE, "unknown key 'foo'", "unknown key")
    expect_error(["--disk", f"path={good},readonly=maybe"], h.STATUS_USAGE,
                 "readonly='maybe': expected 'on' or 'off'", "bad readonly value")
    expect_error(["--disk", f"path={good},cache=unsafe"], h.STATUS_USAGE,
                 "cache='unsafe': expected 'none' or 'writeback'", "bad cache value")
    expect_error(["--disk", f"path={good},serial={'x' * 21}"], h.STATUS_USAGE, "1 to 20 characters",
                 "serial too long")
    expect_error(["--disk"], h.STATUS_USAGE, "needs a value", "--disk without a value")
    expect_error(["--disk", f"path={good},readonly=on"] * 9, h.STATUS_USAGE, "at most 8 disks", "nine disks")

    if not os.path.exists("/dev/kvm"):
        h.skip("/dev/kvm is missing: the disk-opening errors come after the KVM check")
    h.require_kvm()

    missing = os.path.join(tmp, "missing.img")
    expect_error(["--disk", f"path={missing}"], h.STATUS_ERROR,
                 f"disk {missing}: No such file or directory", "missing file")
    odd = disk("odd.img", 1000)
    expect_error(["--disk", f"path={odd}"], h.STATUS_ERROR,
                 f"disk {odd}: size 1000 is not a multiple of 512", "size not a multiple of 512")
    expect_error(["--disk", f"path={tmp}"], h.STATUS_ERROR, f"disk {tmp}:", "a directory")

    # Unreadable: file modes do not stop root, so drop the capabilities that let it through.
    secret = disk("secret.img", 1 << 20)
    os.chmod(secret, 0)
    if os.geteuid() == 0 and shutil.which("setpriv"):
        p = subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all",
                            h.VESSEL, "run", "--kernel", h.GUEST, "--memory", "64M",
                            "--disk", f"path={secret}"], capture_output=True, timeout=30)
        err = p.stderr.decode(errors="replace")
        lines = [l for l in err.splitlines() if l.strip() and not l.startswith("vessel: note:")]
        h.check(p.returncode == h.STATUS_ERROR, f"unreadable file: exit status {p.returncode} == 1")
        h.check(len(lines) == 1 and f"disk {secret}: Permission denied" in lines[0],
                f"unreadable file: one line, Permission denied ({err.strip()[:200]!r})")
    elif os.geteuid() != 0:
        expect_error(["--disk", f"path={secret}"], h.STATUS_ERROR, f"disk {secret}: Permission denied",
                     "unreadable file")

    # Locked: a running VM holds the disk read-write.
    shared = disk("shared.img", 1 << 20)
    first = h.Vm("--disk", f"path={shared}", cmdline="console=ttyS0", memory="64M")
    try:
        up = first.expect(r"guest> ", timeout=120) is not None
        h.check(up, "the first VM runs with the disk (guest shell waiting)")
        if not up:
            first.dump()
        expect_error(["--disk", f"path={shared}"], h.STATUS_ERROR,
                     f"disk {shared}: in use by another process (locked)", "disk in use read-write")
        expect_error(["--disk", f"path={shared},readonly=on"], h.STATUS_ERROR,
                     "in use by another process (locked)", "read-only open of a disk in use read-write")
    finally:
        first.kill()

    # Two read-only users share a disk; and a disk given twice to one VM is refused.
    ro = h.Vm("--disk", f"path={shared},readonly=on", cmdline="console=ttyS0", memory="64M")
    try:
        h.check(ro.expect(r"guest> ", timeout=120) is not None, "a VM runs with the disk read-only")
        vm = h.run_guest(["pci", "blk", "poweroff"], "--disk", f"path={shared},readonly=on", memory="64M",
                         timeout=120)
        h.check(vm.status == h.STATUS_POWEROFF, f"a second read-only user boots (status {vm.status})")
        expect_error(["--disk", f"path={shared}"], h.STATUS_ERROR, "in use by another process (locked)",
                     "read-write open of a disk in use read-only")
    finally:
        ro.kill()
    expect_error(["--disk", f"path={shared}", "--disk", f"path={shared}"], h.STATUS_ERROR,
                 "in use by another process (locked)", "the same disk twice in one VM")

    # Once the holder is gone the disk is free again.
    vm = h.run_guest(["pci", "blk", "poweroff"], "--disk", f"path={shared}", memory="64M", timeout=120)
    h.check(vm.status == h.STATUS_POWEROFF, f"after the first VM ended, the disk is usable (status {vm.status})")
    h.check(vm.values().get("blk.count") == "1", f"the guest sees one disk ({vm.values().get('blk.count')})")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

h.finish()
