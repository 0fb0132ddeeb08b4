#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""With --console virtio on a real terminal (tmux), hvc0 starts with the
terminal's size and follows it when the terminal is resized (SIGWINCH ->
virtio-console config change)."""
import shutil
import subprocess
import time

import harness as h

h.require_kvm()
if not shutil.which("tmux"):
    h.skip("tmux is not installed (scripts/setup-deps installs it)")

session = "vessel-resize-%d" % int(time.time() * 1000 % 1000000)
cmd = (f"{h.VESSEL} run --console virtio --kernel {h.GUEST} "
       "--cmdline 'console=ttyS0 run=hvc,tick:1000:4,hvc,poweroff' 2>&1; sleep 30")
subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", cmd], check=True)
try:
    time.sleep(1.5)
    subprocess.run(["tmux", "resize-window", "-t", session, "-x", "120", "-y", "40"], check=True)
    screen = ""
    for _ in range(100):
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session],
                                capture_output=True, text=True).stdout
        if "poweroff=requested" in screen:
            break
        time.sleep(0.1)
finally:
    subprocess.run(["tmux", "kill-session", "-t", session])
cols = [l.split("=")[1] for l in screen.splitlines() if l.startswith("hvc.cols=")]
rows = [l.split("=")[1] for l in screen.splitlines() if l.startswith("hvc.rows=")]
h.check(cols[:1] == ["100"] and rows[:1] == ["30"], f"hvc0 starts at the terminal's size ({cols[:1]}x{rows[:1]})")
h.check(cols[1:2] == ["120"] and rows[1:2] == ["40"], f"hvc0 follows a resize ({cols[1:2]}x{rows[1:2]})")
if h._failures:
    print(screen)
h.finish()
