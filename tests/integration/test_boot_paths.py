#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every way vessel enters a kernel: the bzImage's 64-bit entry, its 32-bit
entry (a copy with XLF_KERNEL_64 cleared) and the PVH ELF, each without and
with a 3 MiB random initrd that the guest hashes; and an ELF without the PVH
note is refused."""
import os
import shutil
import struct
import tempfile

import harness as h

GUEST_ELF = os.environ.get("VESSEL_GUEST_ELF", os.path.join(os.path.dirname(h.GUEST), "vessel-guest.elf"))
KERNEL_GPA = 0x100000
XLOADFLAGS_OFF = 0x236
XLF_KERNEL_64 = 1
XEN_ELFNOTE_PHYS32_ENTRY = 18
MiB = 1 << 20


def fnv1a64(data):
    v = 0xcbf29ce484222325
    for b in data:
        v = ((v ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return v


def elf_phdrs(data):
    """(type, offset, paddr, filesz, memsz) of each ELF64 program header."""
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    out = []
    for i in range(phnum):
        p_type, _, p_offset, _, p_paddr, p_filesz, p_memsz, _ = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        out.append((p_type, p_offset, p_paddr, p_filesz, p_memsz))
    return out


def elf_image_end(data):
    return max(p + m for t, _, p, _, m in elf_phdrs(data) if t == 1)


def elf_without_pvh_note(data):
    """A copy whose Xen PHYS32_ENTRY note has another type; None if there is none."""
    out = bytearray(data)
    for p_type, off, _, filesz, _ in elf_phdrs(data):
        if p_type != 4:
            continue
        pos = off
        while pos + 12 <= off + filesz:
            namesz, descsz, n_type = struct.unpack_from("<III", data, pos)
            name = data[pos + 12:pos + 12 + namesz]
            if n_type == XEN_ELFNOTE_PHYS32_ENTRY and name == b"Xen\0":
                struct.pack_into("<I", out, pos + 8, 0x7fff)
                return bytes(out)
            pos += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    return None


def e820_ram_end(v):
    """End of the highest type-1 range in the guest's e820 lines, and their total."""
    end = total = 0
    for k, val in v.items():
        if not k.startswith("e820."):
            continue
        rng, typ = val.split()
        lo, hi = (int(x, 16) for x in rng.split("-"))
        if typ == "1":
            total += hi + 1 - lo
            end = max(end, hi + 1)
    return end, total


h.require_kvm()
if not os.path.exists(GUEST_ELF):
    print(f"FAIL: {h.NAME}: PVH guest {GUEST_ELF} was not built", flush=True)
    raise SystemExit(h.EXIT_FAIL)

tmp = tempfile.mkdtemp(prefix="vessel-boot-paths-")
bz = open(h.GUEST, "rb").read()
elf = open(GUEST_ELF, "rb").read()

bz32 = bytearray(bz)
bz32[XLOADFLAGS_OFF] &= ~XLF_KERNEL_64
bz32_path = os.path.join(tmp, "vessel-guest-32.bin")
with open(bz32_path, "wb") as f:
    f.write(bz32)

initrd = os.urandom(3 * MiB)
initrd_path = os.path.join(tmp, "initrd")
with open(initrd_path, "wb") as f:
    f.write(initrd)
initrd_hash = "0x%x" % fnv1a64(initrd)

bz_end = KERNEL_GPA + struct.unpack_from("<I", bz, 0x260)[0]   # init_size
images = [
    ("64-bit bzImage", h.GUEST, "64", bz_end),
    ("32-bit bzImage", bz32_path, "32", bz_end),
    ("PVH ELF", GUEST_ELF, "pvh", elf_image_end(elf)),
]

for what, kernel, entry, image_end in images:
    for with_initrd in (False, True):
        cpus, memory = (2, 128) if with_initrd else (1, 256)
        name = f"{what}{' + initrd' if with_initrd else ''}"
        cmdline = f"console=ttyS0 path={entry} run=info,poweroff"
        args = ["--initrd", initrd_path] if with_initrd else []
        vm = h.Vm(*args, kernel=kernel, cmdline=cmdline, cpus=cpus, memory=f"{memory}M")
        vm.wait(60)
        v = vm.values()
        ram_end, ram_total = e820_ram_end(v)
        ok = h.check(vm.status == h.STATUS_POWEROFF, f"{name}: exit status {vm.status} == 0")
        ok &= h.check(v.get("boot.entry") == entry, f"{name}: boot.entry={v.get('boot.entry')} == {entry}")
        ok &= h.check(v.get("cmdline") == cmdline, f"{name}: cmdline came through")
        ok &= h.check(v.get("cpus") == str(cpus), f"{name}: cpus={v.get('cpus')} == {cpus}")
        ok &= h.check(str(ram_total) == v.get("mem.total") and
                      (memory - 1) * MiB < ram_total <= memory * MiB,
                      f"{name}: e820 RAM {ram_total} == mem.total={v.get('mem.total')}, about {memory} MiB")
        if with_initrd:
            addr = int(v.get("initrd.addr", "0"), 16)
            ok &= h.check(v.get("initrd.size") == str(len(initrd)),
                          f"{name}: initrd.size={v.get('initrd.size')} == {len(initrd)}")
            ok &= h.check(v.get("initrd.fnv1a") == initrd_hash,
                          f"{name}: initrd.fnv1a={v.get('initrd.fnv1a')} == {initrd_hash}")
            ok &= h.check(addr % 4096 == 0 and addr >= image_end and addr + len(initrd) <= ram_end,
                          f"{name}: initrd.addr={addr:#x} page aligned, above the image end {image_end:#x},"
                          f" below the end of RAM {ram_end:#x}")
        else:
            ok &= h.check(v.get("initrd.size") == "0" and v.get("initrd.addr") == "0x0",
                          f"{name}: no initrd: initrd.size={v.get('initrd.size')}")
        if not ok:
            vm.dump()

# An ELF that lost its PVH note has no entry vessel can use.
plain = elf_without_pvh_note(elf)
if h.check(plain is not None, "the PVH ELF carries a Xen PHYS32_ENTRY note"):
    plain_path = os.path.join(tmp, "no-pvh-note.elf")
    with open(plain_path, "wb") as f:
        f.write(plain)
    rc, out, err = h.run_vessel(["run", "--kernel", plain_path, "--cmdline", "run=poweroff"])
    ok = h.check(rc == h.STATUS_ERROR, f"ELF without PVH note: exit status {rc} == 1")
    ok &= h.check("PVH" in err, "ELF without PVH note: the message says PVH")
    if not ok:
        print("    stderr was: " + err.strip()[:500])

shutil.rmtree(tmp)
h.finish("64-bit, 32-bit and PVH entries, with and without an initrd")
