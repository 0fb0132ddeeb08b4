#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Make a Linux guest for vessel's tests from Debian packages only:
#   - the current Debian cloud kernel (linux-image-*-cloud-amd64, resolved
#     from the linux-image-cloud-amd64 metapackage), as a bzImage;
#   - its uncompressed vmlinux (ELF, for PVH boot), cut out of the bzImage;
#   - an initramfs (cpio newc, gzip) with busybox-static whose /init loads the
#     virtio modules, prints VESSEL-LINUX-INIT-OK, nproc=<n>, mem=<kB>,
#     modules=<list>, runs the test scripts the command line names
#     (vessel.run=blk,net runs tests/linux/guest/blk.sh then net.sh) and
#     powers off.
#   - with --with-fio, a second initramfs, initrd-fio.img: the same tree
#     plus fio and its whole shared-library closure (as `ldd` lists it,
#     with the dynamic loader) and /tests/fio (tests/linux/guest/fio.sh,
#     vessel.run=fio). fio and the libraries are copied from the HOST's
#     installed Debian fio package (`apt-get install fio`), so they match
#     this Debian release; about 80 MiB unpacked. The default initramfs does
#     not change (it has no fio and no /tests/fio).
#
# Everything is cached in ${VESSEL_CACHE:-$HOME/.cache/vessel}/linux; a
# second run downloads nothing. On success stdout is exactly:
#   kernel=<path to vmlinuz>
#   initrd=<path to initramfs>
#   vmlinux=<path to vmlinux>      (only if it could be extracted)
#   initrd_fio=<path to initramfs with fio>   (once --with-fio built it)
# and the same lines are in <cache>/linux/paths. Progress goes to stderr.
#
# Usage: fetch.sh [--force] [--with-fio]
#   --force      rebuild the initramfs and vmlinux
#   --with-fio   also build initrd-fio.img (needs the host's fio package)
set -euo pipefail

CACHE="${VESSEL_CACHE:-$HOME/.cache/vessel}/linux"
DEBS="$CACHE/debs"
META_PKG=linux-image-cloud-amd64
MODULES="virtio virtio_ring virtio_pci virtio_blk virtio_net virtio_console"
FORCE=0
WITH_FIO=0
HOST_FIO=/usr/bin/fio

log() { echo "fetch.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

for arg in "$@"; do
	case $arg in
	--force) FORCE=1 ;;
	--with-fio) WITH_FIO=1 ;;
	*) echo "usage: $0 [--force] [--with-fio]" >&2; exit 2 ;;
	esac
done

for t in apt-get apt-cache dpkg-deb od dd sha256sum find sort; do
	command -v "$t" >/dev/null || die "$t not found (this script needs a Debian host)"
done

if [ $WITH_FIO = 1 ]; then
	[ -x "$HOST_FIO" ] && command -v ldd >/dev/null ||
		die "--with-fio copies $HOST_FIO from the host's fio package: apt-get install fio"
fi

APT_OPTS=()
# As root apt drops to _apt for downloads, which cannot write into $HOME.
[ "$(id -u)" = 0 ] && APT_OPTS=(-o APT::Sandbox::User=root)

# The kernel package the metapackage currently depends on.
resolve_kernel_pkg() {
	apt-cache depends "$META_PKG" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}

# Download packages into $DEBS unless a .deb of that name is already there.
download_pkgs() {
	local want=() p
	for p in "$@"; do
		compgen -G "$DEBS/${p}_*.deb" >/dev/null || want+=("$p")
	done
	[ ${#want[@]} -eq 0 ] && return 0
	log "downloading ${want[*]}"
	if ! (cd "$DEBS" && apt-get "${APT_OPTS[@]}" -q download "${want[@]}" >&2); then
		log "apt-get download failed; running apt-get update and retrying"
		apt-get -q update >&2 || die "apt-get update failed"
		(cd "$DEBS" && apt-get "${APT_OPTS[@]}" -q download "${want[@]}" >&2) ||
			die "apt-get download ${want[*]} failed"
	fi
}

# Newest cached .deb of a package (version-sorted file name).
deb_of() {
	local f
	f=$(compgen -G "$DEBS/${1}_*.deb" | sort -V | tail -n1) || true
	[ -n "$f" ] || die "no .deb for $1 in $DEBS"
	echo "$f"
}

mkdir -p "$DEBS"
# One fetch at a time per cache (tests may start several).
if command -v flock >/dev/null; then
	exec 9>"$CACHE/.lock"
	flock 9
fi

KPKG=$(resolve_kernel_pkg) || true
if [ -z "$KPKG" ]; then
	# Fresh machine without package lists, or no network: a previous result
	# is good enough; otherwise fetch the lists once.
	if [ -f "$CACHE/paths" ] && [ $FORCE = 0 ] &&
	   { [ $WITH_FIO = 0 ] || grep -q '^initrd_fio=' "$CACHE/paths"; }; then
		log "cannot resolve $META_PKG; using the cached guest"
		cat "$CACHE/paths"
		exit 0
	fi
	log "cannot resolve $META_PKG; running apt-get update"
	apt-get -q update >&2 || die "apt-get update failed"
	KPKG=$(resolve_kernel_pkg) || true
	[ -n "$KPKG" ] || die "cannot resolve the kernel package of $META_PKG"
fi
KVER=${KPKG#linux-image-}
OUT="$CACHE/$KVER"
STAMP="$OUT/.stamp"
# The stamp covers the package, this script and the guest scripts, so
# editing /init or a test script rebuilds.
GUEST_DIR="$(cd "$(dirname "$0")" && pwd)/guest"
STAMP_WANT="$KPKG $(cat "$0" "$GUEST_DIR"/* | sha256sum | cut -d' ' -f1)"
# The fio initramfs also depends on the host's fio (upgraded with apt).
FIO_STAMP="$OUT/.stamp-fio"
fio_stamp_want() {
	echo "$STAMP_WANT $(dpkg-query -W -f='${Version}' fio 2>/dev/null)" \
		"$(sha256sum "$HOST_FIO" | cut -d' ' -f1)"
}
fio_current() {
	[ $WITH_FIO = 0 ] && return 0
	[ -f "$FIO_STAMP" ] && [ "$(cat "$FIO_STAMP")" = "$(fio_stamp_want)" ] &&
		[ -f "$OUT/initrd-fio.img" ] &&
		grep -qx "initrd_fio=$OUT/initrd-fio.img" "$CACHE/paths"
}

if [ $FORCE = 0 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_WANT" ] &&
   [ -f "$CACHE/paths" ] && grep -qx "kernel=$OUT/vmlinuz" "$CACHE/paths" && fio_current; then
	cat "$CACHE/paths"
	exit 0
fi

download_pkgs "$KPKG" busybox-static

log "building the guest for $KVER in $OUT"
# Built aside and moved into place, so a VM using the old files is not hurt.
WORK="$CACHE/.build-$KVER"
rm -rf "$WORK"
mkdir -p "$WORK"
KROOT="$WORK/kernel-root"
BBROOT="$WORK/busybox-root"
dpkg-deb -x "$(deb_of "$KPKG")" "$KROOT"
dpkg-deb -x "$(deb_of busybox-static)" "$BBROOT"
BB="$BBROOT/bin/busybox"
[ -x "$BB" ] || die "no busybox in the busybox-static package"
MODDIR="$KROOT/lib/modules/$KVER"
[ -d "$MODDIR" ] || die "no $MODDIR in $KPKG"
VMLINUZ_SRC=$(compgen -G "$KROOT/boot/vmlinuz-*" | head -n1) || die "no vmlinuz in $KPKG"
cp "$VMLINUZ_SRC" "$WORK/vmlinuz"

# A decompressor for a format: the host's, or else one taken from its
# Debian package (extracted into the cache, not installed).
tool_for() {
	local fmt=$1 bin pkg
	case $fmt in
	gzip) bin=gzip; pkg=gzip ;;
	xz) bin=xz; pkg=xz-utils ;;
	lz4) bin=lz4; pkg=lz4 ;;
	zstd) bin=zstd; pkg=zstd ;;
	*) return 1 ;;
	esac
	if [ "$fmt" = xz ] || [ "$fmt" = gzip ]; then
		echo "$BB $bin"	# busybox has both
		return 0
	fi
	if command -v "$bin" >/dev/null; then
		echo "$bin"
		return 0
	fi
	download_pkgs "$pkg"
	mkdir -p "$CACHE/tools"
	[ -x "$CACHE/tools/usr/bin/$bin" ] || dpkg-deb -x "$(deb_of "$pkg")" "$CACHE/tools"
	[ -x "$CACHE/tools/usr/bin/$bin" ] || return 1
	echo "$CACHE/tools/usr/bin/$bin"
}

# modules.dep is made by depmod at install time, not shipped in the .deb.
if [ ! -s "$MODDIR/modules.dep" ]; then
	if command -v depmod >/dev/null; then
		depmod -b "$KROOT" "$KVER"
	else
		"$BB" depmod -b "$KROOT" "$KVER"
	fi
fi
[ -s "$MODDIR/modules.dep" ] || die "depmod made no modules.dep"

# Module load order: dependencies first, each module once.
ORDER=()
in_order() {
	local m
	for m in "${ORDER[@]}"; do [ "$m" = "$1" ] && return 0; done
	return 1
}
add_module_path() {	# path relative to $MODDIR, e.g. kernel/drivers/virtio/virtio.ko
	local path=$1 deps d
	in_order "$path" && return 0
	deps=$(awk -v p="$path:" '$1 == p { $1 = ""; print; exit }' "$MODDIR/modules.dep")
	for d in $deps; do add_module_path "$d"; done
	ORDER+=("$path")
}
for name in $MODULES; do
	path=$(awk -F: -v n="$name" '{ f = $1; sub(/.*\//, "", f); sub(/\.ko(\.(xz|zst|gz))?$/, "", f);
		gsub(/-/, "_", f); if (f == n) { print $1; exit } }' "$MODDIR/modules.dep")
	if [ -n "$path" ]; then
		add_module_path "$path"
	elif grep -q "/$name\.ko" "$MODDIR/modules.builtin" 2>/dev/null; then
		log "$name is built into the kernel"
	else
		log "warning: module $name not found in $KVER"
	fi
done

# The initramfs tree.
IRD="$WORK/initramfs-root"
mkdir -p "$IRD"/{bin,dev,proc,sys,etc,lib/modules,tests,tmp,mnt}
cp "$BB" "$IRD/bin/busybox"
for a in $("$BB" --list); do
	[ "$a" = busybox ] || ln -s busybox "$IRD/bin/$a"
done
for f in "$GUEST_DIR"/*.sh; do
	[ "$(basename "$f")" = fio.sh ] && continue	# only in initrd-fio.img
	install -m 755 "$f" "$IRD/tests/$(basename "$f" .sh)"
done
install -m 755 "$GUEST_DIR/udhcpc.script" "$IRD/etc/udhcpc.script"
# The kernel's built-in initramfs has /dev/console already; be explicit
# where we can (mknod needs root).
mknod -m 600 "$IRD/dev/console" c 5 1 2>/dev/null || true
: >"$IRD/etc/vessel-modules"
for path in "${ORDER[@]}"; do
	base=${path##*/}
	case $base in
	*.ko) cp "$MODDIR/$path" "$IRD/lib/modules/$base" ;;
	*.ko.xz|*.ko.zst|*.ko.gz)
		# busybox insmod takes plain .ko only: decompress now.
		case $base in *.xz) fmt=xz ;; *.zst) fmt=zstd ;; *.gz) fmt=gzip ;; esac
		dec=$(tool_for $fmt) || die "no $fmt decompressor for $base"
		base=${base%.*}
		$dec -dc "$MODDIR/$path" >"$IRD/lib/modules/$base" ;;
	*) die "unexpected module file $path" ;;
	esac
	echo "$base" >>"$IRD/etc/vessel-modules"
done
log "modules: $(tr '\n' ' ' <"$IRD/etc/vessel-modules")"

cat >"$IRD/init" <<'EOF'
#!/bin/sh
# vessel Linux test init: load the virtio modules, report, power off.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
	insmod "/lib/modules/$m" || echo "VESSEL-LINUX-INIT: insmod $m failed"
done </etc/vessel-modules
echo VESSEL-LINUX-INIT-OK
echo "nproc=$(nproc)"
echo "mem=$(awk '/^MemTotal:/ { print $2 "kB" }' /proc/meminfo)"
echo "modules=$(cut -d' ' -f1 /proc/modules | tr '\n' ',')"
# vessel.run=a,b: run /tests/a then /tests/b (tests/linux/guest/*.sh).
for t in $(tr ' ' '\n' </proc/cmdline | awk -F= '$1 == "vessel.run" { gsub(",", " ", $2); print $2 }'); do
	if [ -x "/tests/$t" ]; then
		"/tests/$t" || echo "VESSEL-LINUX-INIT: test $t failed"
	else
		echo "VESSEL-LINUX-INIT: no test $t"
	fi
done
poweroff -f
echo "VESSEL-LINUX-INIT: poweroff -f returned"
sleep 5
EOF
chmod 755 "$IRD/init"

(cd "$IRD" && find . | sort | "$BB" cpio -o -H newc 2>/dev/null) | "$BB" gzip -9 >"$WORK/initrd.img"
[ -s "$WORK/initrd.img" ] || die "empty initramfs"

# The fio flavour: the same tree plus the host's fio, every library ldd
# lists (at the same paths, so RUNPATHs such as .../ceph still resolve) and
# the loader. All of fio's I/O engines are built into the binary.
add_fio() {
	local root=$1 deps lib
	deps=$(ldd "$HOST_FIO") || die "ldd $HOST_FIO failed"
	if grep -q "not found" <<<"$deps"; then
		die "ldd $HOST_FIO: $(grep "not found" <<<"$deps" | head -n1)"
	fi
	install -m 755 "$HOST_FIO" "$root/bin/fio"
	for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$deps"); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	install -m 755 "$GUEST_DIR/fio.sh" "$root/tests/fio"
	log "fio: $("$HOST_FIO" --version) with $(grep -c '=>' <<<"$deps") libraries" \
		"($(du -sm "$root" | cut -f1) MiB unpacked)"
}
if [ $WITH_FIO = 1 ]; then
	add_fio "$IRD"
	(cd "$IRD" && find . | sort | "$BB" cpio -o -H newc 2>/dev/null) |
		"$BB" gzip -9 >"$WORK/initrd-fio.img"
	[ -s "$WORK/initrd-fio.img" ] || die "empty fio initramfs"
	fio_stamp_want >"$WORK/.stamp-fio"
fi

# vmlinux: the bzImage's payload (boot protocol >= 2.08 gives its offset
# and length) decompressed. The kernel appends the uncompressed size as a
# little-endian u32, which lets us check the result.
extract_vmlinux() {
	local z=$WORK/vmlinuz setup_sects proto off len magic fmt dec size
	[ "$(od -An -tx1 -j 514 -N4 "$z" | tr -d ' ')" = 48647253 ] || return 1	# "HdrS"
	proto=$(od -An -tu2 -j 518 -N2 "$z" | tr -d ' ')
	[ "$proto" -ge 520 ] || return 1	# 0x208
	setup_sects=$(od -An -tu1 -j 497 -N1 "$z" | tr -d ' ')
	[ "$setup_sects" = 0 ] && setup_sects=4
	off=$(( (setup_sects + 1) * 512 + $(od -An -tu4 -j 584 -N4 "$z" | tr -d ' ') ))
	len=$(od -An -tu4 -j 588 -N4 "$z" | tr -d ' ')
	dd if="$z" of="$WORK/payload" bs=64K iflag=skip_bytes,count_bytes \
		skip="$off" count="$len" status=none
	magic=$(od -An -tx1 -N4 "$WORK/payload" | tr -d ' ')
	case $magic in
	1f8b*) fmt=gzip ;;
	fd377a58) fmt=xz ;;
	02214c18) fmt=lz4 ;;	# legacy lz4 frame, as the kernel makes it
	28b52ffd) fmt=zstd ;;
	*) log "vmlinux: unknown payload compression (magic $magic)"; return 1 ;;
	esac
	size=$(tail -c4 "$WORK/payload" | od -An -tu4 | tr -d ' ')
	dec=$(tool_for $fmt) || { log "vmlinux: no $fmt decompressor"; return 1; }
	# Trailing size bytes make some decompressors exit non-zero; the
	# size and ELF checks below decide.
	$dec -dc "$WORK/payload" >"$WORK/vmlinux" 2>/dev/null || true
	rm -f "$WORK/payload"
	[ "$(od -An -tx1 -N4 "$WORK/vmlinux" | tr -d ' ')" = 7f454c46 ] || return 1
	[ "$(stat -c %s "$WORK/vmlinux")" = "$size" ] || return 1
	return 0
}
HAVE_VMLINUX=0
if extract_vmlinux; then
	HAVE_VMLINUX=1
else
	log "warning: could not extract vmlinux (optional; PVH tests will skip)"
	rm -f "$WORK/vmlinux" "$WORK/payload"
fi

# Keep only the results and the .debs; drop guests of older kernels.
rm -rf "$KROOT" "$BBROOT" "$IRD"
echo "$STAMP_WANT" >"$WORK/.stamp"
rm -rf "$OUT"
mv "$WORK" "$OUT"
for d in "$CACHE"/*/; do
	d=${d%/}
	if [ "$d" != "$OUT" ] && [ -f "$d/.stamp" ]; then rm -rf "$d"; fi
done
for f in "$DEBS"/linux-image-*.deb; do
	case ${f##*/} in "${KPKG}"_*) ;; *) rm -f "$f" ;; esac
done

{
	echo "kernel=$OUT/vmlinuz"
	echo "initrd=$OUT/initrd.img"
	if [ $HAVE_VMLINUX = 1 ]; then echo "vmlinux=$OUT/vmlinux"; fi
	if [ $WITH_FIO = 1 ]; then echo "initrd_fio=$OUT/initrd-fio.img"; fi
} >"$CACHE/paths.new"
mv "$CACHE/paths.new" "$CACHE/paths"
cat "$CACHE/paths"
