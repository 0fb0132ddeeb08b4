# SPDX-License-Identifier: MIT
"""A small harness for integration tests: start `vessel run`, watch what the
guest prints on its serial console, type into it, and check how vessel ends.

Each test file is one scenario; it exits 0 (pass), 1 (fail) or 77 (skip, as
Meson counts it). A skip is never a pass: tests that need /dev/kvm say SKIP
loudly when it is missing."""

import json
import os
import re
import select
import signal
import subprocess
import sys
import time

EXIT_PASS, EXIT_FAIL, EXIT_SKIP = 0, 1, 77

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("VESSEL_BUILD", os.path.join(SRC_ROOT, "build"))
VESSEL = os.environ.get("VESSEL", os.path.join(BUILD, "vessel"))
GUEST = os.environ.get("VESSEL_GUEST", os.path.join(BUILD, "tests", "guest", "vessel-guest.bin"))
NAME = os.path.splitext(os.path.basename(sys.argv[0]))[0]

# Exit statuses of `vessel run` (see `vessel run --help`).
STATUS_POWEROFF, STATUS_ERROR, STATUS_USAGE = 0, 1, 2
STATUS_RESET, STATUS_TRIPLE_FAULT, STATUS_KVM_ERROR = 3, 4, 5

_failures = []


def check(cond, what):
    """Records a failed expectation; the test goes on to report them all."""
    if not cond:
        _failures.append(what)
        print(f"  not ok: {what}", flush=True)
    else:
        print(f"  ok: {what}", flush=True)
    return cond


def finish(summary="all checks passed"):
    if _failures:
        print(f"FAIL: {NAME}: {len(_failures)} check(s) failed: {'; '.join(_failures)}", flush=True)
        sys.exit(EXIT_FAIL)
    print(f"PASS: {NAME}: {summary}", flush=True)
    sys.exit(EXIT_PASS)


def skip(reason):
    print(f"SKIP: {NAME}: {reason}", flush=True)
    sys.exit(EXIT_SKIP)


def require_kvm():
    if not os.path.exists("/dev/kvm"):
        skip("/dev/kvm is missing: this test boots a VM")
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        skip("no read/write access to /dev/kvm")
    if not os.path.exists(GUEST):
        print(f"FAIL: {NAME}: test guest {GUEST} was not built", flush=True)
        sys.exit(EXIT_FAIL)


class Vm:
    """A running `vessel run`, with its console output collected."""

    def __init__(self, *args, kernel=GUEST, cmdline=None, cpus=None, memory=None, extra_env=None,
                 prefix=None):
        # prefix: a command vessel runs under, e.g. ["ip", "netns", "exec", "NS"]
        argv = list(prefix or []) + [VESSEL, "run"]
        if kernel:
            argv += ["--kernel", kernel]
        if cmdline is not None:
            argv += ["--cmdline", cmdline]
        if cpus is not None:
            argv += ["--cpus", str(cpus)]
        if memory is not None:
            argv += ["--memory", str(memory)]
        argv += list(args)
        self.argv = argv
        env = dict(os.environ)
        env.update(extra_env or {})
        self.start = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.out = b""
        self.err = b""
        self.status = None

    def _pump(self, timeout):
        fds = [f for f in (self.proc.stdout, self.proc.stderr) if f and not f.closed]
        if not fds:
            time.sleep(min(timeout, 0.05))
            return False
        ready, _, _ = select.select(fds, [], [], timeout)
        for f in ready:
            data = os.read(f.fileno(), 65536)
            if not data:
                f.close()
                continue
            if f is self.proc.stdout:
                self.out += data
            else:
                self.err += data
        return bool(ready)

    @property
    def text(self):
        return self.out.decode(errors="replace")

    def expect(self, pattern, timeout=30):
        """Waits until the console output matches pattern; returns the match or None."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        while True:
            m = rx.search(self.text)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and not self._pump(0)):
                m = rx.search(self.text)
                return m
            self._pump(min(left, 0.2))

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait(self, timeout=30):
        """Waits for vessel to exit; returns its status (None on timeout, after killing it)."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._pump(0.1)
        if self.proc.poll() is None:
            self.kill()
            return None
        while self._pump(0):
            pass
        self.status = self.proc.returncode
        self.elapsed = time.monotonic() - self.start
        return self.status

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def values(self):
        """The guest's key=value lines as a dict (last value wins)."""
        vals = {}
        for line in self.text.splitlines():
            line = line.strip("\r")
            if "=" in line and " " not in line.split("=", 1)[0]:
                k, v = line.split("=", 1)
                vals[k] = v
        return vals

    def dump(self):
        print("---- console ----\n" + self.text[-4000:] + "\n---- stderr ----\n" +
              self.err.decode(errors="replace")[-2000:] + "\n-----------------", flush=True)


def curl(sock, method, path, body=None, extra=(), timeout=30):
    """One HTTP request with curl on a Unix socket (a VM's API, the manager's):
    (status, parsed JSON body or None, raw body). body: a str as is, else JSON."""
    argv = ["curl", "-s", "-S", "--max-time", str(timeout), "--unix-socket", sock, "-X", method,
            "-o", "-", "-w", "\n%{http_code}", *extra]
    if body is not None:
        argv += ["-H", "Content-Type: application/json",
                 "--data-binary", body if isinstance(body, str) else json.dumps(body)]
    argv.append("http://localhost" + path)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 10)
    raw, _, code = p.stdout.rpartition("\n")
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = None
    return int(code or 0), data, raw


def run_guest(commands, *args, timeout=60, **kw):
    """Boots the test guest with run=COMMANDS (and vessel options args) and
    waits for vessel to exit."""
    cmdline = "console=ttyS0 run=" + ",".join(commands)
    vm = Vm(*args, cmdline=cmdline, **kw)
    vm.wait(timeout)
    return vm


def run_vessel(args, timeout=30, stdin=b""):
    """Runs vessel with args (no guest expected to boot); returns (status, stdout, stderr)."""
    p = subprocess.run([VESSEL] + list(args), input=stdin, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
