#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Firmware boot: `vessel run --firmware seabios --disk path=IMAGE` starts the
vCPU at the reset vector, SeaBIOS (Debian's bios-microvm.bin) prints its
banner on COM1, finds the virtio-blk disk and boots its MBR: the boot
program of tests/guest/bootsector prints the drive number, reads two more
sectors with int 13h, sums the RAM int 15h E820 reports, checks the ACPI
tables SeaBIOS installed from fw_cfg, and powers off (status 0). Also:
another SeaBIOS build by path, 4 vCPUs and RAM above 4 GiB, SeaBIOS's
debug log with -vv, a disk without a boot signature, snapshots refused
through the API, and every bad option."""
import os
import re
import shutil
import tempfile
import time

import harness as h

SEABIOS = "/usr/share/seabios/bios-microvm.bin"
SEABIOS_256K = "/usr/share/seabios/bios-256k.bin"
DISK = os.environ.get("VESSEL_MBR_DISK",
                      os.path.join(h.BUILD, "tests", "guest", "bootsector", "vessel-mbr.img"))
ACPI_LINE = "vessel-mbr: acpi rsdp ok FACP ok DSDT ok APIC ok MCFG ok"

tmp = tempfile.mkdtemp(prefix="vessel-firmware-")


def path(name, data):
    p = os.path.join(tmp, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def expect_error(args, status, pattern, what):
    rc, out, err = h.run_vessel(["run"] + args)
    lines = [l for l in err.splitlines() if l.strip()]
    ok = h.check(rc == status, f"{what}: exit status {rc} == {status}")
    ok &= h.check(any(pattern in l for l in lines), f"{what}: stderr names the problem ({pattern!r})")
    if not ok:
        print("    stderr was: " + err.strip()[:500])


# Bad options: the command line is checked before anything boots.
disk = ["--disk", f"path={DISK},readonly=on"]
expect_error(["--firmware", "seabios", "--kernel", h.GUEST] + disk, h.STATUS_USAGE,
             "--kernel, --initrd and --cmdline cannot be given", "--firmware with --kernel")
expect_error(["--firmware", "seabios", "--cmdline", "console=ttyS0"] + disk, h.STATUS_USAGE,
             "--kernel, --initrd and --cmdline cannot be given", "--firmware with --cmdline")
expect_error(["--firmware", "seabios", "--initrd", h.GUEST] + disk, h.STATUS_USAGE,
             "cannot be given", "--firmware with --initrd")
expect_error(["--firmware"], h.STATUS_USAGE, "needs a value", "--firmware without a value")
expect_error(["--firmware", "seabios"], h.STATUS_USAGE, "--firmware boots the first --disk",
             "--firmware without a disk")
expect_error(["--restore", tmp, "--firmware", "seabios"], h.STATUS_USAGE,
             "'--firmware' cannot be given", "--firmware with --restore")
expect_error(["--incoming", "tcp://127.0.0.1:1", "--firmware", "seabios"], h.STATUS_USAGE,
             "--incoming", "--firmware with --incoming")
# Bad files: a one-line reason, status 1 (as a bad --kernel), also with --dry-run.
missing = os.path.join(tmp, "missing.bin")
small = path("small.bin", b"\0" * 1000)
odd = path("odd.bin", b"\0" * (128 * 1024 + 512))
for extra in ([], ["--dry-run"]):
    how = " (--dry-run)" if extra else ""
    if not extra and not os.path.exists("/dev/kvm"):
        print("  skip: bad firmware files without --dry-run (they get past the KVM check only with /dev/kvm)")
        continue
    expect_error(["--firmware", missing] + disk + extra, h.STATUS_ERROR,
                 f"firmware {missing}: No such file", "missing firmware" + how)
    expect_error(["--firmware", small] + disk + extra, h.STATUS_ERROR,
                 "1000 bytes: a firmware image is 64 to 256 KiB", "firmware of 1000 bytes" + how)
    expect_error(["--firmware", odd] + disk + extra, h.STATUS_ERROR,
                 "in multiples of 64 KiB", "firmware of 128.5 KiB" + how)
    expect_error(["--firmware", tmp] + disk + extra, h.STATUS_ERROR,
                 "not a regular file", "a directory as firmware" + how)
rc, out, err = h.run_vessel(["run", "--help"])
h.check(rc == 0 and "--firmware seabios|PATH" in out, "--help describes --firmware")

if not os.path.exists(SEABIOS):
    h.skip(f"{SEABIOS} is missing: install Debian's seabios package (scripts/setup-deps)")
if not os.path.exists(DISK):
    print(f"FAIL: {h.NAME}: the boot disk {DISK} was not built", flush=True)
    raise SystemExit(h.EXIT_FAIL)

rc, out, err = h.run_vessel(["run", "--dry-run", "--firmware", "seabios"] + disk)
h.check(rc == 0 and f'"firmware": "{SEABIOS}"' in out,
        f"--dry-run accepts --firmware seabios and shows the image ({rc}: {out.strip()} {err.strip()})")

h.require_kvm()


def boot(what, *args, timeout=120):
    """Boots the MBR disk with the firmware args; returns the finished Vm and the time to its first line."""
    vm = h.Vm(*args, "--disk", f"path={DISK},readonly=on", kernel=None)
    first = vm.expect(r"vessel-mbr: booted", timeout=timeout)
    first_s = time.monotonic() - vm.start
    status = vm.wait(timeout)
    h.check(status == h.STATUS_POWEROFF, f"{what}: powered off, exit status 0 (got {status})")
    if first:
        print(f"  {what}: first MBR line {first_s:.2f} s after start, exit after {vm.elapsed:.2f} s")
    return vm


def check_mbr_lines(vm, what, mem_kib):
    text = vm.text.replace("\r", "")
    h.check("SeaBIOS (version" in text, f"{what}: SeaBIOS's banner on COM1")
    h.check(re.search(r"^Booting from Hard Disk\.\.\.$", text, re.M) is not None,
            f"{what}: SeaBIOS boots the virtio-blk disk")
    h.check(re.search(r"^vessel-mbr: booted dl=0x80$", text, re.M) is not None,
            f"{what}: the MBR runs, with the first hard disk in DL")
    h.check(re.search(r"^vessel-mbr: read sectors 1-2$", text, re.M) is not None,
            f"{what}: int 13h read the next sectors")
    m = re.search(r"^vessel-mbr: e820 entries=(\d+) ram_kib=(\d+)$", text, re.M)
    ok = m is not None and mem_kib - 2048 <= int(m.group(2)) <= mem_kib
    h.check(ok, f"{what}: int 15h E820 reports the guest's RAM less the BIOS's share "
            f"({m.group(2) if m else 'no line'} KiB of {mem_kib})")
    h.check(re.search("^" + ACPI_LINE + "$", text, re.M) is not None,
            f"{what}: vessel's ACPI tables installed by the firmware, checksums right")
    h.check(re.search(r"^vessel-mbr: power off$", text, re.M) is not None, f"{what}: the MBR powers off")


vm = boot("seabios, 1 vCPU, 256 MiB", "--firmware", "seabios")
check_mbr_lines(vm, "seabios", 256 * 1024)

if os.path.exists(SEABIOS_256K):
    vm = boot("bios-256k.bin by path", "--firmware", SEABIOS_256K)
    check_mbr_lines(vm, "bios-256k.bin", 256 * 1024)

# 4 vCPUs (SeaBIOS wakes the APs with INIT/SIPI), RAM above 4 GiB, its debug log.
vm = boot("seabios, 4 vCPUs, 4 GiB, -vv", "--firmware", "seabios", "--cpus", "4", "--memory", "4G",
          "--rng", "-vv")
check_mbr_lines(vm, "4 vCPUs 4 GiB", 4 * 1024 * 1024)
err = vm.err.decode(errors="replace")
h.check("firmware: Found 4 cpu(s)" in err, "-vv: SeaBIOS's debug log on stderr, and it found 4 CPUs")
h.check(re.search(r"firmware: PCI: map device bdf=00:0[12]\.0  bar 0, addr febf", err) is not None,
        "SeaBIOS placed the BARs below the IOAPIC (the second window)")
h.check("qemu/e820: addr 0x0000000100000000" in err, "SeaBIOS saw the RAM above 4 GiB in etc/e820")

# The first --disk is the boot disk (fw_cfg "bootorder"), even when it has no
# boot signature and the second has: SeaBIOS says so and keeps the VM up. The
# API refuses a snapshot of it (fw_cfg and the firmware are not in snapshots).
blank = path("blank.img", b"\0" * (1 << 20))
sock = os.path.join(tmp, "api.sock")
vm = h.Vm("--firmware", "seabios", "--disk", f"path={blank}", "--disk", f"path={DISK},readonly=on",
          "--api-sock", sock, kernel=None)
m = vm.expect(r"not a bootable disk", timeout=120)
h.check(m is not None, "a first disk without a boot signature: SeaBIOS says it cannot boot it")
m = vm.expect(r"No bootable device", timeout=60)
h.check(m is not None and "vessel-mbr" not in vm.text,
        "and gives up without booting the second disk instead")
if shutil.which("curl"):
    st, _, raw = h.curl(sock, "PATCH", "/vm", {"state": "Paused"})
    h.check(st == 204, f"the firmware-booted VM pauses ({st} {raw})")
    st, _, raw = h.curl(sock, "PUT", "/snapshot/create",
                        {"snapshot_path": os.path.join(tmp, "vm.state"), "mem_file_path": os.path.join(tmp, "vm.mem")})
    h.check(st == 400 and "firmware" in raw, f"a snapshot of it is refused, naming the firmware ({st} {raw})")
else:
    print("  skip: the snapshot refusal (needs curl)")
vm.kill()

shutil.rmtree(tmp, ignore_errors=True)
h.finish()
