#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Pack the two-sector boot program into an MBR disk image.

usage: mkdisk.py OBJCOPY mbr.elf out.img

Sector 0 is the MBR (boot signature 0x55 0xaa at 510), sectors 1 and 2 what
it reads with int 13h; the rest of the 1 MiB image is zeros.
"""
import os
import subprocess
import sys

SECTOR = 512
IMAGE_SIZE = 1 << 20


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2])
    objcopy, elf, out = sys.argv[1:]
    raw = out + '.raw'
    subprocess.run([objcopy, '-O', 'binary', '-j', '.text', elf, raw], check=True)
    with open(raw, 'rb') as f:
        code = f.read()
    os.unlink(raw)
    if len(code) != 3 * SECTOR:
        sys.exit('mkdisk: %s: %d bytes of code, expected three sectors' % (elf, len(code)))
    if code[510:512] != b'\x55\xaa':
        sys.exit('mkdisk: %s: no boot signature at offset 510' % elf)
    with open(out, 'wb') as f:
        f.write(code + bytes(IMAGE_SIZE - len(code)))


if __name__ == '__main__':
    main()
