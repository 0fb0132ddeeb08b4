#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Firmware boot of an unmodified Debian 12 disk image, 1 and 2 vCPUs.

tests/linux/mkdisk.sh builds (once, cached) a raw disk image from Debian
packages: an MBR, GRUB in the sectors behind it, one ext4 partition with a
minbase Debian, systemd and the cloud kernel. Each boot runs
`vessel run --firmware seabios --disk path=COPY` on a copy of it (the cached
image stays pristine): SeaBIOS boots the MBR, GRUB loads the kernel and its
initramfs through int 13h, the kernel finds /dev/vda1 through virtio-blk,
systemd brings the system up to a login prompt on ttyS0 and the image's
report service prints VESSEL-DISK-BOOT-OK with what it sees, then shuts down
(ACPI power-off). Checked: SeaBIOS's banner, its "Booting from Hard Disk",
GRUB's line, the kernel's, the marker, nproc, the virtio-blk driver on
virtio-pci, the root filesystem, SMBIOS tables (made by SeaBIOS), vessel's
ACPI tables (installed by SeaBIOS from fw_cfg), the login prompt, no failed systemd units, vessel's exit
status 0 within the limit, and afterwards a clean filesystem (e2fsck).

Skipped on kvm_pvm hosts, before anything is built: guest kernel mode is
emulated there (~1.5M instructions/s) and a Linux boot takes many minutes.
There, `--qemu-tcg` checks the image and this test's checks instead: the
same boots under QEMU with TCG (q35, virtio-blk; not vessel, so without the
checks of SeaBIOS's banner, which QEMU's q35 SeaBIOS shows on VGA, and of
vessel's ACPI tables), about 30 s each.
"""

import argparse
import os
import re
import shutil
import subprocess
import tempfile

import linux_harness as h

LIMIT = 120          # seconds per boot (a few where guest kernels are native)
QEMU_LIMIT = 300     # seconds per boot with --qemu-tcg (about 30 s here)
MEMORY = "1G"
PART_OFFSET = 1 << 20  # mkdisk.sh's partition starts at 1 MiB


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vessel", default=os.environ.get(
        "VESSEL", os.path.join(h.SRC_ROOT, "build", "vessel")),
        help="vessel executable (default: $VESSEL or build/vessel)")
    ap.add_argument("--mkdisk", default=os.path.join(h.HERE, "mkdisk.sh"),
                    help="the image script (tests/linux/mkdisk.sh)")
    ap.add_argument("--qemu-tcg", action="store_true",
                    help="boot under qemu-system-x86_64 -accel tcg instead of vessel "
                         "(checks the image where vessel cannot boot Linux)")
    return ap.parse_args()


def build_image(mkdisk):
    tools = ("mmdebstrap", "mkfs.ext4", "sfdisk", "grub-mkimage", "e2fsck")
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        h.skipped("missing %s: apt-get install mmdebstrap grub-pc-bin fdisk e2fsprogs "
                  "(scripts/setup-deps)" % ", ".join(missing))
    print("+ " + mkdisk, flush=True)
    proc = subprocess.run(["bash", mkdisk], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        print(proc.stderr, end="")
        h.failed("mkdisk.sh exited %d: %s" % (
            proc.returncode, (proc.stderr.strip().splitlines() or ["?"])[-1]))
    m = re.search(r"^disk=(.+)$", proc.stdout, re.M)
    if not m or not os.path.isfile(m.group(1)):
        h.failed("mkdisk.sh gave no usable disk= path")
    return m.group(1)


def value(out, key):
    m = re.search(r"^" + re.escape(key) + r"=(.*)$", out, re.M)
    return m.group(1).strip() if m else None


def check_boot(out, cpus, vessel=True):
    problems = []
    firmware = (("SeaBIOS's banner", r"SeaBIOS \(version "),
                ("SeaBIOS booting the disk", r"Booting from Hard Disk"))
    for what, pattern in (firmware if vessel else ()) + (
            ("GRUB loading the kernel", r"vessel-disk: GRUB loading /boot/vmlinuz-"),
            ("the kernel's first line", r"Linux version \S+"),
            ("the login prompt", r"vessel-disk login:"),
            ("the marker", r"^VESSEL-DISK-BOOT-OK$"),
            ("the end of the report", r"^VESSEL-DISK-BOOT-END$")):
        if not re.search(pattern, out, re.M):
            problems.append("missing " + what)
    if "VESSEL-DISK-BOOT-OK" not in out:
        return problems
    nproc = value(out, "nproc")
    if nproc != str(cpus):
        problems.append("nproc=%s, want %d" % (nproc, cpus))
    virtio = (value(out, "virtio_drivers") or "").split(",")
    if "virtio_blk" not in virtio:
        problems.append("virtio_blk not among the virtio drivers (%s)" % ",".join(virtio))
    pci = (value(out, "pci_drivers") or "").split(",")
    if "virtio-pci" not in pci:
        problems.append("virtio-pci not among the PCI drivers (%s)" % ",".join(pci))
    root = (value(out, "root") or "").split()
    if root[:2] != ["/dev/vda1", "ext4"] or "rw" not in (root[2:3] or [""])[0].split(","):
        problems.append("root=%s, want /dev/vda1 ext4 rw" % " ".join(root))
    # SMBIOS exists only if firmware made it (a direct kernel boot has none):
    # SeaBIOS's own tables say "Bochs" (its CONFIG_APPNAME) under vessel;
    # under QEMU, which passes its own, "SeaBIOS".
    bios = (value(out, "bios") or "").strip()
    if not bios:
        problems.append("no SMBIOS BIOS vendor (/sys/class/dmi/id/bios_vendor)")
    rsdp = value(out, "acpi_rsdp") or ""
    if vessel and "VESSEL" not in rsdp:
        problems.append("ACPI RSDP %r is not vessel's (OEM VESSEL)" % rsdp)
    failed_units = value(out, "failed_units")
    if failed_units:
        problems.append("failed systemd units: " + failed_units)
    return problems


def boot(args, image, tmp, cpus):
    disk = os.path.join(tmp, "disk-%d.img" % cpus)
    # A copy for each boot (a reflink where the filesystem can): the guest
    # writes to its root filesystem, the cached image must stay as built.
    subprocess.run(["cp", "--reflink=auto", "--sparse=always", image, disk], check=True)
    if args.qemu_tcg:
        argv = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-M", "q35",
                "-smp", str(cpus), "-m", MEMORY, "-nographic", "-no-reboot",
                "-drive", "file=%s,format=raw,if=virtio" % disk]
    else:
        argv = [args.vessel, "run", "--firmware", "seabios", "--disk", "path=" + disk,
                "--cpus", str(cpus), "--memory", MEMORY, "--on-reboot", "exit"]
    run = h.run_vessel(argv, QEMU_LIMIT if args.qemu_tcg else LIMIT)
    problems = check_boot(run.out, cpus, vessel=not args.qemu_tcg)
    if run.rc != 0:
        problems.append("%s: %s after %.0f s, want exit 0 (powered off)"
                        % (os.path.basename(argv[0]), h.describe_exit(run.rc), run.elapsed))
    else:
        # systemd unmounted the root filesystem before the power-off.
        fsck = subprocess.run(["e2fsck", "-fn", "%s?offset=%d" % (disk, PART_OFFSET)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if fsck.returncode != 0:
            print(fsck.stdout)
            problems.append("e2fsck -fn of the root filesystem after power-off: exit %d"
                            % fsck.returncode)
    if problems:
        print("--- %s stderr (%d vCPUs) ---" % (os.path.basename(argv[0]), cpus))
        print(run.tail())
    os.unlink(disk)
    return problems, run.elapsed


def main():
    args = parse_args()
    if args.qemu_tcg:
        if not shutil.which("qemu-system-x86_64"):
            h.skipped("--qemu-tcg needs qemu-system-x86_64 (Debian package qemu-system-x86)")
    else:
        h.require_kvm()
        if h.is_pvm_host():
            h.skipped("kvm_pvm host: guest kernel mode runs emulated (~1.5M instr/s), a "
                      "Debian boot from disk takes far longer than a test may; nothing was "
                      "built or booted (`%s --qemu-tcg` checks the image under QEMU)"
                      % os.path.relpath(__file__, h.SRC_ROOT))
        h.require_vessel(args.vessel)
    image = build_image(args.mkdisk)
    failures = []
    times = []
    # Next to the cache, so that cp can reflink on btrfs or XFS.
    with tempfile.TemporaryDirectory(prefix=".run-", dir=os.path.dirname(image)) as tmp:
        for cpus in (1, 2):
            problems, elapsed = boot(args, image, tmp, cpus)
            times.append("%d vCPU %.1f s" % (cpus, elapsed))
            print("%d vCPUs: %s (%.1f s)" % (cpus, "; ".join(problems) or "ok", elapsed),
                  flush=True)
            failures += ["%d vCPUs: %s" % (cpus, p) for p in problems]
    if failures:
        h.failed("; ".join(failures))
    h.passed("%s -> GRUB -> Debian 12 (systemd) to a login prompt and power-off: %s"
             % ("QEMU TCG (not vessel): SeaBIOS" if args.qemu_tcg else "SeaBIOS",
                ", ".join(times)))


if __name__ == "__main__":
    main()
