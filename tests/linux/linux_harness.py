# SPDX-License-Identifier: MIT
"""Shared helpers for the Linux guest tests: arguments, verdicts (Meson exit
codes), the cached Debian guest from fetch.sh and running vessel with a time
limit while watching its serial console."""

import argparse
import os
import re
import select
import shlex
import subprocess
import sys
import tempfile
import time

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_SKIP = 77  # Meson's "skipped"

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
_name = os.path.splitext(os.path.basename(sys.argv[0]))[0]


def verdict(kind, reason, code):
    print(f"{kind}: {_name}: {reason}", flush=True)
    sys.exit(code)


def passed(reason):
    verdict("PASS", reason, EXIT_PASS)


def failed(reason):
    verdict("FAIL", reason, EXIT_FAIL)


def skipped(reason):
    verdict("SKIP", reason, EXIT_SKIP)


def parse_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--vessel", default=os.environ.get(
        "VESSEL", os.path.join(SRC_ROOT, "build", "vessel")),
        help="vessel executable (default: $VESSEL or build/vessel)")
    ap.add_argument("--fetch", default=os.path.join(HERE, "fetch.sh"),
                    help="the guest fetch script (tests/linux/fetch.sh)")
    return ap.parse_args()


def is_pvm_host():
    """kvm_pvm: guest kernel mode is emulated, ~1.5M instructions/s."""
    return os.path.exists("/sys/module/kvm_pvm")


def require_kvm():
    if not os.path.exists("/dev/kvm"):
        skipped("/dev/kvm is missing")
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        skipped("no read/write access to /dev/kvm")


def require_vessel(path):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        skipped(f"vessel executable not found at {path} (build it first)")


def fetch_guest(fetch_sh):
    """Runs fetch.sh (cached after the first run); returns its key=value
    output: kernel, initrd and maybe vmlinux."""
    if not os.path.exists("/usr/bin/apt-get"):
        skipped("not a Debian host: fetch.sh needs apt-get for the guest kernel")
    proc = subprocess.run(["bash", fetch_sh], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        failed(f"fetch.sh exited {proc.returncode}: "
               f"{proc.stderr.strip().splitlines()[-1:] or ['?']}")
    paths = dict(line.split("=", 1) for line in proc.stdout.splitlines()
                 if "=" in line)
    for key in ("kernel", "initrd"):
        if not os.path.isfile(paths.get(key, "")):
            failed(f"fetch.sh gave no usable {key}= path")
    return paths


def layout_constant(name):
    """A constant from src/arch/x86/layout.h, the one place the guest memory
    map is defined, so the tests do not re-invent addresses."""
    with open(os.path.join(SRC_ROOT, "src", "arch", "x86", "layout.h")) as f:
        m = re.search(r"#define\s+" + name + r"\s+(0x[0-9a-fA-F]+|\d+)", f.read())
    if not m:
        failed(f"{name} not found in src/arch/x86/layout.h")
    return int(m.group(1), 0)


def _echo(before, chunk):
    text = chunk.decode("utf-8", "replace").replace("\r", "")
    if not before or before.endswith(b"\n"):
        text = "| " + text
    text = text[:-1].replace("\n", "\n| ") + text[-1:]
    sys.stdout.write(text)
    sys.stdout.flush()


class Run:
    """Result of one vessel run: rc is None if we had to kill it."""

    def __init__(self, rc, out, err, elapsed, stopped_early):
        self.rc = rc
        self.out = out
        self.err = err
        self.elapsed = elapsed
        self.stopped_early = stopped_early

    def tail(self, n=25):
        """The end of vessel's stderr (the console was echoed already)."""
        lines = self.err.splitlines()
        return "\n".join(lines[-n:])


def run_vessel(argv, limit, done=None, echo=True):
    """Runs vessel, collecting the serial console (stdout) and echoing it
    with a "| " prefix (so a slow boot shows how far it got). Stops when the
    process exits, when done(output) says all we need was seen (then kills
    vessel: the rest of the boot is not this test's business), or after
    limit seconds (kills it too)."""
    print("+ " + shlex.join(argv), flush=True)
    errf = tempfile.TemporaryFile(mode="w+")
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errf,
                            stdin=subprocess.DEVNULL)
    buf = b""
    stopped_early = False
    fd = proc.stdout.fileno()
    while True:
        left = limit - (time.monotonic() - start)
        if left <= 0:
            break
        r, _, _ = select.select([fd], [], [], min(left, 1.0))
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                break  # EOF: vessel exited (or closed stdout)
            if echo:
                _echo(buf, chunk)
            buf += chunk
            if done and done(buf.decode("utf-8", "replace")):
                stopped_early = True
                break
    rc = None
    if proc.poll() is None and (stopped_early or time.monotonic() - start >= limit):
        proc.kill()
        proc.wait()
    else:
        try:
            rc = proc.wait(timeout=max(1.0, limit - (time.monotonic() - start)))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    rest = proc.stdout.read()
    if echo and rest:
        _echo(buf, rest)
    buf += rest
    proc.stdout.close()
    if echo and buf and not buf.endswith(b"\n"):
        print()
    elapsed = time.monotonic() - start
    errf.seek(0)
    err = errf.read()
    errf.close()
    out = buf.decode("utf-8", "replace").replace("\r", "")
    return Run(rc, out, err, elapsed, stopped_early)


VESSEL_EXIT = {0: "guest powered off", 1: "error", 2: "usage error",
               3: "guest reset", 4: "triple fault",
               5: "KVM internal/emulation error"}


def describe_exit(rc):
    if rc is None:
        return "killed"
    if rc < 0:
        return f"killed by signal {-rc}"
    return f"exit {rc} ({VESSEL_EXIT.get(rc, 'unknown')})"
