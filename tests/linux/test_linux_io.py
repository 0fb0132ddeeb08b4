#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The I/O scenarios with the real Debian Linux guest (issue 3).

The initramfs from fetch.sh runs tests/linux/guest/blk.sh and net.sh
(vessel.run=blk,net): it mounts an ext4 image made on the host with
`mkfs.ext4 -d` (/dev/vda), reads the host's file, writes a small and an
8 MiB file, syncs and unmounts; checks that the read-only /dev/vdb refuses a
write; gets an address with udhcpc on `--net user` and fetches a page from
an HTTP server on the host with wget. Afterwards the host checks the image
with `e2fsck -fn` and reads the guest's files back with debugfs.

Skipped on kvm_pvm hosts: guest kernel mode is emulated there, a Linux boot
does not fit a test. The guest scripts themselves can be tried under QEMU
(TCG) as the comment at the end of this file shows.
"""

import hashlib
import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading

import linux_harness as h

LIMIT = 240
PAGE_BYTES = 100000


def serve(directory):
    """An HTTP server for directory on a free port of 127.0.0.1 (the guest
    reaches it as 10.0.2.2 through user-mode NAT)."""
    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=directory, **kw)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def make_images(tmp):
    root = os.path.join(tmp, "root")
    os.mkdir(root)
    with open(os.path.join(root, "hello.txt"), "w") as f:
        f.write("hello from the host\n")
    disk = os.path.join(tmp, "disk.img")
    with open(disk, "wb") as f:
        f.truncate(64 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", root, disk], check=True)
    ro = os.path.join(tmp, "ro.img")
    with open(ro, "wb") as f:
        f.write(b"\x5a" * (1 << 20))
    return disk, ro


def debugfs_cat(image, path):
    proc = subprocess.run(["debugfs", "-R", "cat " + path, image],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return proc.stdout


def key(out, name):
    m = re.search(r"^" + re.escape(name) + r"=(.*)$", out, re.M)
    return m.group(1).strip() if m else None


def main():
    args = h.parse_args(__doc__)
    h.require_kvm()
    if h.is_pvm_host():
        h.skipped("kvm_pvm host: guest kernel mode runs emulated (~1.5M instr/s), "
                  "a Linux boot does not fit a test")
    h.require_vessel(args.vessel)
    for tool in ("mkfs.ext4", "e2fsck", "debugfs"):
        if not shutil.which(tool):
            h.skipped(tool + " not found (Debian package e2fsprogs)")
    guest = h.fetch_guest(args.fetch)
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        disk, ro = make_images(tmp)
        www = os.path.join(tmp, "www")
        os.mkdir(www)
        page = os.urandom(PAGE_BYTES)
        with open(os.path.join(www, "page"), "wb") as f:
            f.write(page)
        srv = serve(www)
        url = "http://10.0.2.2:%d/page" % srv.server_address[1]
        argv = [args.vessel, "run", "--kernel", guest["kernel"], "--initrd", guest["initrd"],
                "--cmdline", "console=ttyS0 panic=-1 quiet vessel.run=blk,net vessel.url=" + url,
                "--memory", "512M", "--on-reboot", "exit",
                "--disk", "path=" + disk, "--disk", "path=%s,readonly=on" % ro,
                "--net", "user"]
        run = h.run_vessel(argv, LIMIT)
        srv.shutdown()
        out = run.out
        for m in re.finditer(r"(VESSEL-LINUX-INIT: .*|\w+\.error=.*)", out):
            problems.append(m.group(1).strip())
        want = {"blk.read": "hello from the host", "blk.umount": "ok", "blk.ro.sysfs": "1",
                "blk.ro": "refused", "blk.done": "1", "net.done": "1",
                "net.wget.sha256": hashlib.sha256(page).hexdigest()}
        for name, value in want.items():
            if key(out, name) != value:
                problems.append("%s=%s, want %s" % (name, key(out, name), value))
        ip = key(out, "net.ip") or ""
        if not ip.startswith("10.0.2."):
            problems.append("net.ip=%s, want a 10.0.2.x lease" % ip)
        if run.rc != 0:
            problems.append("vessel: %s, want exit 0" % h.describe_exit(run.rc))
        fsck = subprocess.run(["e2fsck", "-fn", disk], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if fsck.returncode != 0:
            problems.append("e2fsck -fn: exit %d: %s" % (fsck.returncode, fsck.stdout[-300:]))
        if debugfs_cat(disk, "/guest.txt") != b"written by the guest\n":
            problems.append("/guest.txt on the host image is not what the guest wrote")
        big = hashlib.sha256(debugfs_cat(disk, "/big.bin")).hexdigest()
        if big != key(out, "blk.big.sha256"):
            problems.append("/big.bin on the host (sha256 %s) differs from the guest's" % big[:16])
        with open(ro, "rb") as f:
            if f.read(512) != b"\x5a" * 512:
                problems.append("the read-only image was changed")
    if problems:
        print(run.tail())
        h.failed("; ".join(problems))
    h.passed("ext4 mount/write/sync (e2fsck clean, files match), read-only refusal, "
             "udhcpc lease %s, wget of %d bytes (%.1f s)" % (ip, PAGE_BYTES, run.elapsed))


if __name__ == "__main__":
    main()

# The guest side alone, under QEMU's TCG (no KVM needed), from the cached guest:
#   qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot \
#     -kernel ~/.cache/vessel/linux/*/vmlinuz -initrd ~/.cache/vessel/linux/*/initrd.img \
#     -append "console=ttyS0 panic=-1 vessel.run=blk,net vessel.url=http://10.0.2.2:8000/page" \
#     -drive file=disk.img,if=virtio,format=raw -drive file=ro.img,if=virtio,format=raw,readonly=on \
#     -netdev user,id=n -device virtio-net-pci,netdev=n
