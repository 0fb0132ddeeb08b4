#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Make a bootable Debian 12 disk image for `vessel run --firmware seabios`
# from Debian packages only, without loop devices or mounts:
#   - mmdebstrap (unshare mode) installs a minbase Debian 12 with systemd,
#     udev and the cloud kernel (linux-image-cloud-amd64; initramfs-tools
#     puts virtio_pci and virtio_blk into its initramfs) into a tarball;
#   - the tree gets /etc/fstab, a hostname and tests/linux/disk/'s report
#     service, which prints VESSEL-DISK-BOOT-OK and what the system sees on
#     the console once multi-user.target is reached, then powers off;
#   - mkfs.ext4 -d writes the tree into a file the size of the partition;
#   - sfdisk writes an MBR partition table (one bootable Linux partition from
#     1 MiB to the end) into the sparse image, the filesystem is copied in;
#   - GRUB (grub-pc-bin): grub-mkimage builds a core.img with the modules
#     and an embedded config that loads the kernel and initrd from
#     (hd0,msdos1) with root=/dev/vda1 console=ttyS0; boot.img goes into
#     the MBR and core.img behind it (sectors 1-2047), where grub-install
#     would put them. Nothing of GRUB is in the filesystem.
#
# The image is 1 GiB, sparse (about 400 MiB used). Cached in
# ${VESSEL_CACHE:-$HOME/.cache/vessel}/linux/disk/ and rebuilt only when
# this script or tests/linux/disk/* change (or with --force). On success
# stdout is exactly
#   disk=<path to the raw image>
# also kept in <cache>/linux/disk/paths. Progress goes to stderr.
#
# Needs: mmdebstrap, grub-pc-bin, fdisk (sfdisk), e2fsprogs (scripts/setup-deps
# installs them) and the network (Debian's mirror, through apt). As root, or
# as a user with subuids (mmdebstrap's unshare mode) and fakeroot.
#
# Usage: mkdisk.sh [--force]
set -euo pipefail

CACHE="${VESSEL_CACHE:-$HOME/.cache/vessel}/linux/disk"
IMAGE="$CACHE/debian-12.img"
SUITE=bookworm
MIRROR="${VESSEL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${VESSEL_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
PACKAGES=systemd-sysv,udev,linux-image-cloud-amd64
DISK_MIB=1024
PART_START=2048			# sectors: the partition starts at 1 MiB
GRUB_DIR=/usr/lib/grub/i386-pc
GRUB_MODULES=(biosdisk part_msdos ext2 linux serial terminal echo)
CMDLINE="root=/dev/vda1 rw console=ttyS0 panic=-1"
HERE="$(cd "$(dirname "$0")" && pwd)"
FILES="$HERE/disk"
FORCE=0

log() { echo "mkdisk.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
	cat <<EOF
usage: $0 [--force]
Builds (once) a bootable Debian 12 raw disk image for vessel's firmware
boot test and prints disk=<path>. --force rebuilds it.
Cache: \${VESSEL_CACHE:-\$HOME/.cache/vessel}/linux/disk/
EOF
}

for arg in "$@"; do
	case $arg in
	--force) FORCE=1 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

missing=()
for t in mmdebstrap mkfs.ext4 sfdisk grub-mkimage tar sha256sum; do
	command -v "$t" >/dev/null || missing+=("$t")
done
[ -f "$GRUB_DIR/boot.img" ] || missing+=("$GRUB_DIR/boot.img")
[ ${#missing[@]} -eq 0 ] ||
	die "missing ${missing[*]}: apt-get install mmdebstrap grub-pc-bin fdisk e2fsprogs (or scripts/setup-deps)"
AS=()				# how to run what must create root-owned files
if [ "$(id -u)" != 0 ]; then
	command -v fakeroot >/dev/null || die "as a user this needs fakeroot (apt-get install fakeroot), or run it as root"
	AS=(fakeroot)
fi

mkdir -p "$CACHE"
# One build at a time per cache (tests may start several).
if command -v flock >/dev/null; then
	exec 9>"$CACHE/.lock"
	flock 9
fi

STAMP="$CACHE/.disk-stamp"	# not ".stamp": fetch.sh owns directories with one
STAMP_WANT="$(cat "$0" "$FILES"/* | sha256sum | cut -d' ' -f1)"
if [ $FORCE = 0 ] && [ -f "$IMAGE" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_WANT" ]; then
	echo "disk=$IMAGE"
	exit 0
fi

WORK="$CACHE/.build"
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

# 1. Debian into a tarball. mmdebstrap's unshare mode runs the packages'
# scripts in a user namespace: nothing is mounted on the host.
log "installing Debian $SUITE ($PACKAGES) with mmdebstrap from $MIRROR (a few minutes)"
if ! mmdebstrap --mode=unshare --variant=minbase --include="$PACKAGES" \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	"$SUITE" "$WORK/root.tar" \
	"deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" \
	"deb $SECURITY_MIRROR $SUITE-security main" >"$WORK/mmdebstrap.log" 2>&1; then
	tail -n 15 "$WORK/mmdebstrap.log" >&2
	cp "$WORK/mmdebstrap.log" "$CACHE/mmdebstrap.log"
	die "mmdebstrap failed (it downloads Debian packages from $MIRROR: is the network up? set VESSEL_DEBIAN_MIRROR for another mirror; log in $CACHE/mmdebstrap.log)"
fi

# 2. The tree: unpack, add our files, make the filesystem; one fakeroot
# session for a user, so the ext4 image has root-owned files.
tar -tf "$WORK/root.tar" >"$WORK/root.list"
KVER=$(sed -n 's|^\./boot/vmlinuz-||p' "$WORK/root.list" | sort -V | tail -n1)
[ -n "$KVER" ] || die "no kernel in the installed tree (./boot/vmlinuz-*)"
grep -qx "./boot/initrd.img-$KVER" "$WORK/root.list" || die "no initrd for $KVER in the installed tree"
log "kernel $KVER; making the ext4 filesystem"
PART_BYTES=$(( DISK_MIB * 1024 * 1024 - PART_START * 512 ))
"${AS[@]}" bash -euo pipefail -s "$WORK" "$FILES" "$PART_BYTES" <<'EOF'
work=$1 files=$2 bytes=$3 root=$1/root
mkdir "$root"
# /dev stays empty: the kernel mounts devtmpfs there.
tar -xpf "$work/root.tar" -C "$root" --numeric-owner --exclude='./dev/*'
rm "$work/root.tar"
echo vessel-disk >"$root/etc/hostname"
printf '127.0.1.1\tvessel-disk\n' >>"$root/etc/hosts"
printf '/dev/vda1\t/\text4\terrors=remount-ro\t0\t1\n' >"$root/etc/fstab"
install -m 755 "$files/vessel-disk-report.sh" "$root/usr/local/sbin/vessel-disk-report"
install -m 644 "$files/vessel-disk-report.service" "$root/etc/systemd/system/"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -s /etc/systemd/system/vessel-disk-report.service \
	"$root/etc/systemd/system/multi-user.target.wants/vessel-disk-report.service"
truncate -s "$bytes" "$work/root.ext4"
mkfs.ext4 -q -F -L vessel-root -d "$root" "$work/root.ext4"
rm -rf "$root"
EOF

# 3. The disk: an MBR partition table, then the filesystem at 1 MiB.
truncate -s "${DISK_MIB}M" "$WORK/disk.img"
echo "label: dos
start=$PART_START, type=83, bootable" | sfdisk -q "$WORK/disk.img" >&2 || die "sfdisk failed"
dd if="$WORK/root.ext4" of="$WORK/disk.img" bs=1M seek=$(( PART_START * 512 / 1048576 )) \
	conv=notrunc,sparse status=none
rm "$WORK/root.ext4"

# 4. GRUB: core.img with an embedded config (run by GRUB's rescue parser:
# plain commands, no menu) goes where grub-install puts it on an MBR disk,
# sectors 1 to 2047 before the partition, and boot.img's code (its first
# 440 bytes; the partition table stays) into the MBR. grub-bios-setup would
# write the same, but it insists on finding the host block device of its -d
# directory, which an image file never has. Unmodified, both images hold
# the defaults for this layout: boot.img loads sector 1 (kernel_sector at
# 0x5c) from the BIOS's boot drive (0xff at 0x64), and core.img's first
# sector loads the rest from sector 2 on (grub-mkimage fills in the length).
mkdir "$WORK/grub"
cat >"$WORK/grub/early.cfg" <<EOF
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
echo vessel-disk: GRUB loading /boot/vmlinuz-$KVER
linux /boot/vmlinuz-$KVER $CMDLINE
echo vessel-disk: GRUB loading /boot/initrd.img-$KVER
initrd /boot/initrd.img-$KVER
boot
EOF
grub-mkimage -O i386-pc -o "$WORK/grub/core.img" -p '(hd0,msdos1)/boot/grub' \
	-c "$WORK/grub/early.cfg" "${GRUB_MODULES[@]}" || die "grub-mkimage failed"
core_sectors=$(( ($(stat -c %s "$WORK/grub/core.img") + 511) / 512 ))
[ $core_sectors -lt $PART_START ] || die "core.img ($core_sectors sectors) does not fit before the partition"
[ "$(od -An -tx1 -j 92 -N9 "$GRUB_DIR/boot.img" | tr -d ' ')" = 0100000000000000ff ] ||
	die "$GRUB_DIR/boot.img does not load sector 1 from the boot drive by default"
dd if="$GRUB_DIR/boot.img" of="$WORK/disk.img" bs=440 count=1 conv=notrunc status=none
dd if="$WORK/grub/core.img" of="$WORK/disk.img" bs=512 seek=1 conv=notrunc status=none

# In place at the end: a VM using the previous image (a copy of it) is not hurt.
mv "$WORK/disk.img" "$IMAGE"
echo "$STAMP_WANT" >"$STAMP"
echo "disk=$IMAGE" >"$CACHE/paths"
log "done: $(du -m "$IMAGE" | cut -f1) MiB used of ${DISK_MIB} MiB"
echo "disk=$IMAGE"
