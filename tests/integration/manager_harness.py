# SPDX-License-Identifier: MIT
"""Helpers for the manager's integration tests: a `vessel daemon` on a
temporary state directory, the CLI verbs, curl on the daemon's socket, and
a reader for a VM's console socket."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import harness as h


def started_daemon(*daemon_args):
    """A test file's daemon: requirements checked, started on a fresh state
    directory (with daemon_args); the test ends if it does not come up."""
    require()
    d = Daemon(daemon_args=daemon_args)
    if not h.check(d.start(), "vessel daemon serves its socket"):
        print(d.log())
        h.finish()
    return d


def end(d, summary="all checks passed"):
    """Cleans up d and its VMs and ends the test, with the daemon's log if a check failed."""
    log = d.log()
    d.cleanup()
    if h._failures:
        print("---- daemon log ----\n" + log[-4000:])
    h.finish(summary)


class Daemon:
    """`vessel daemon --state-dir DIR`, its stderr collected in DIR/../daemon.log."""

    def __init__(self, state=None, daemon_args=()):
        self.daemon_args = list(daemon_args)
        self.tmp = tempfile.mkdtemp(prefix="vessel-mgr-")
        self.state = state or os.path.join(self.tmp, "state")
        self.sock = os.path.join(self.state, "vesseld.sock")
        self.proc = None
        self.logs = []

    def start(self, timeout=10):
        log = os.path.join(self.tmp, f"daemon{len(self.logs)}.log")
        self.logs.append(log)
        self.proc = subprocess.Popen([h.VESSEL, "daemon", "--state-dir", self.state, *self.daemon_args],
                                     stdin=subprocess.DEVNULL, stdout=open(log, "wb"),
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self.curl("GET", "/")[0] == 200:
                return True
            time.sleep(0.05)
        return False

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Ends the daemon (not its VMs); returns its exit status."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        return "".join(open(p, errors="replace").read() for p in self.logs if os.path.exists(p))

    def vessel(self, *args, timeout=60):
        """A CLI verb on this state directory: (status, stdout, stderr)."""
        p = subprocess.run([h.VESSEL, args[0], "--state-dir", self.state, *args[1:]],
                           capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def curl(self, method, path, body=None, extra=()):
        """(status, parsed JSON or None, raw body)."""
        return h.curl(self.sock, method, path, body, extra)

    def vm(self, name):
        code, data, _ = self.curl("GET", "/vms/" + name)
        return data if code == 200 else None

    def vms(self):
        code, data, _ = self.curl("GET", "/vms")
        return {v["name"]: v for v in data} if code == 200 else {}

    def wait_state(self, name, states, timeout=30):
        """Waits until the VM is in one of states; returns its JSON (or the last seen)."""
        deadline = time.monotonic() + timeout
        vm = None
        while time.monotonic() < deadline:
            vm = self.vm(name)
            if vm and vm["state"] in states:
                return vm
            time.sleep(0.1)
        return vm

    def vm_dir(self, name):
        return os.path.join(self.state, "vms", name)

    def cleanup(self):
        """Kills every VM still running and the daemon, removes the files."""
        pids = [v["pid"] for v in self.vms().values() if v.get("pid")]
        self.stop(signal.SIGKILL)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


class Console:
    """A viewer on a VM's console socket: history first, then live output."""

    def __init__(self, path, timeout=10):
        self.buf = b""
        self.sock = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                self.sock = s
                break
            except OSError:
                s.close()
                time.sleep(0.05)

    def pump(self, timeout):
        if not self.sock:
            time.sleep(timeout)
            return False
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, OSError):
            return False
        if not data:
            self.sock.close()
            self.sock = None
            return False
        self.buf += data
        return True

    @property
    def text(self):
        return self.buf.decode(errors="replace")

    def expect(self, needle, timeout=30):
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.pump(min(left, 0.2))
        return True

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.pump(min(deadline - time.monotonic(), 0.1) or 0.01)

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None


def gone(pid):
    """True once pid has exited (a zombie counts: VMs found again are not the test's children)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def require():
    h.require_kvm()
    if not shutil.which("curl"):
        h.skip("curl is missing (scripts/setup-deps installs it)")


def guest_args(commands, memory="32M", cpus=1, extra=()):
    return ["--kernel", os.path.abspath(h.GUEST), "--memory", memory, "--cpus", str(cpus),
            "--cmdline", "console=ttyS0 run=" + ",".join(commands), *extra]
