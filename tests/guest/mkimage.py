#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Join the real-mode setup and the 1 MiB kernel into a Linux bzImage.

usage: mkimage.py OBJCOPY setup.elf kernel.elf out.bin

Patches setup_sects, syssize and init_size (from the kernel ELF's PT_LOAD
extent, so bss and stacks are covered) into the setup header.
"""
import struct
import subprocess
import sys

KERNEL_GPA = 0x100000


def to_binary(objcopy, elf):
    out = elf + '.bin'
    subprocess.run([objcopy, '-O', 'binary', elf, out], check=True)
    with open(out, 'rb') as f:
        return f.read()


def load_end(elf):
    """Highest p_vaddr + p_memsz over PT_LOAD segments."""
    with open(elf, 'rb') as f:
        data = f.read()
    if data[:4] != b'\x7fELF' or data[4] != 2:
        sys.exit('mkimage: %s: not an ELF64 file' % elf)
    phoff, = struct.unpack_from('<Q', data, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', data, 0x36)
    end = 0
    for i in range(phnum):
        p_type, _, _, p_vaddr, _, _, p_memsz, _ = struct.unpack_from(
            '<IIQQQQQQ', data, phoff + i * phentsize)
        if p_type == 1:
            end = max(end, p_vaddr + p_memsz)
    return end


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    objcopy, setup_elf, kernel_elf, out = sys.argv[1:]
    setup = bytearray(to_binary(objcopy, setup_elf))
    kernel = to_binary(objcopy, kernel_elf)

    if len(setup) < 0x270 or setup[0x202:0x206] != b'HdrS':
        sys.exit('mkimage: setup has no header')
    sects = max(1, (len(setup) + 511) // 512 - 1)
    setup += bytes((sects + 1) * 512 - len(setup))

    kernel = kernel + bytes(-len(kernel) % 16)
    init_size = load_end(kernel_elf) - KERNEL_GPA
    init_size = (init_size + 4095) & ~4095
    if init_size < len(kernel):
        sys.exit('mkimage: init_size smaller than the kernel image')

    setup[0x1f1] = sects
    struct.pack_into('<I', setup, 0x1f4, len(kernel) // 16)
    struct.pack_into('<I', setup, 0x260, init_size)
    with open(out, 'wb') as f:
        f.write(setup)
        f.write(kernel)


if __name__ == '__main__':
    main()
