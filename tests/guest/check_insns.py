#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fail if the guest uses instructions kvm_pvm cannot emulate at CPL0, or any
SSE/x87/MMX/CET instruction at all.  usage: check_insns.py OBJDUMP guest.elf"""
import re
import subprocess
import sys

BAD = re.compile(r'\s(popcnt|movbe|rdtscp|invpcid|cmpxchg16b|xrstor\w*|xsave\w*|'
                 r'clac|stac|ldmxcsr|stmxcsr|fxsave|fxrstor|endbr64|emms)\b'
                 r'|%xmm|%ymm|%zmm|%mm\d|%st\b|%st\(')

out = subprocess.run([sys.argv[1], '-d', sys.argv[2]], check=True,
                     capture_output=True, text=True).stdout
bad = [line for line in out.splitlines() if BAD.search(line)]
for line in bad[:20]:
    print('forbidden instruction:', line.strip())
sys.exit(1 if bad else 0)
