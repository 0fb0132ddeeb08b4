#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The console on a Unix socket: `vessel run --console-sock PATH` keeps the
guest's output in a ring and serves it to several clients (history first,
then live), takes their input, drops a client that stops reading without
stalling the others, and leaves the terminal alone; `vessel console PATH` in
a pty attaches, types and detaches with Ctrl-]; socat works as a viewer; bad
paths and names give one clear line and the documented status."""

import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

MAX_CLIENTS = 16
RING = 64 * 1024


class Viewer:
    """A console client on a plain socket; a thread collects what it receives."""

    def __init__(self, path, read=True, rcvbuf=None):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(path)
        self.data = b""
        self.closed = False
        self.lock = threading.Lock()
        if read:
            self.thread = threading.Thread(target=self._reader, daemon=True)
            self.thread.start()

    def _reader(self):
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                return
            with self.lock:
                self.data += chunk

    @property
    def text(self):
        with self.lock:
            return self.data.decode(errors="replace")

    def expect(self, pattern, timeout=30):
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = rx.search(self.text)
            if m:
                return m
            time.sleep(0.05)
        return rx.search(self.text)

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def wait_closed(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.closed

    def close(self):
        self.sock.close()


def wait_for_socket(path, vm, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            s.close()
            return True
        except OSError:
            pass
        if vm.proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def guest_line(viewer, text, timeout=60):
    """Types the guest's `echo` command and a line; the guest answers echo=<line>."""
    viewer.expect(r"guest> $", timeout=timeout)
    viewer.send("echo\r")
    time.sleep(0.3)
    viewer.send(text + "\r")


def vessel_console(args, stdin=subprocess.DEVNULL, timeout=30):
    p = subprocess.run([h.VESSEL, "console"] + args, stdin=stdin, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def check_bad_input(tmp):
    # Client side: nothing there, bad names, bad options.
    status, _, err = vessel_console([os.path.join(tmp, "missing.sock")])
    h.check(status == 1 and "no console at" in err, f"vessel console on a missing path: status 1 ({status}, {err.strip()!r})")
    status, _, err = vessel_console(["--state-dir", tmp, "nosuchvm"])
    h.check(status == 1 and err.strip() == "vessel: no console for VM 'nosuchvm' (not running?)",
            f"vessel console on a VM that is not running: status 1 ({status}, {err.strip()!r})")
    for bad in ["bad name", ".hidden", "x" * 65, "a$b"]:
        status, _, err = vessel_console(["--state-dir", tmp, bad])
        h.check(status == 2 and "is not a VM name" in err, f"vessel console {bad[:12]!r}: status 2 ({status})")
    status, _, err = vessel_console(["--escape", "^ZZ", "vm"])
    h.check(status == 2 and "--escape" in err, f"--escape ^ZZ refused with status 2 ({status})")
    status, _, err = vessel_console([])
    h.check(status == 2, f"vessel console without a target: status 2 ({status})")
    status, out, _ = vessel_console(["--help"])
    h.check(status == 0 and "Exit status" in out and "--escape" in out, "vessel console --help")

    # Server side: a non-socket or a live socket at the path is refused before booting.
    regular = os.path.join(tmp, "regular")
    open(regular, "w").close()
    status, _, err = h.run_vessel(["run", "--kernel", h.GUEST, "--console-sock", regular])
    h.check(status == 1 and "--console-sock" in err and "not a socket" in err,
            f"--console-sock on a regular file: status 1 ({status}, {err.strip()!r})")
    live = os.path.join(tmp, "live.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(live)
    srv.listen(1)
    status, _, err = h.run_vessel(["run", "--kernel", h.GUEST, "--console-sock", live])
    h.check(status == 1 and "in use by a running server" in err,
            f"--console-sock on a live socket: status 1 ({status}, {err.strip()!r})")
    srv.close()
    status, _, err = h.run_vessel(["run", "--kernel", h.GUEST, "--console-sock", "/" + "x" * 120])
    h.check(status == 1 and "longer than" in err, f"--console-sock path too long: status 1 ({status})")
    status, out, _ = h.run_vessel(["run", "--help"])
    h.check("--console-sock" in out, "vessel run --help lists --console-sock")


def pty_console(path, vm_viewer):
    """`vessel console PATH` in a pty: history, typing, Ctrl-] detach, terminal restored."""
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    proc = subprocess.Popen([h.VESSEL, "console", path], stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)
    out = b""

    def read_until(pattern, timeout=30):
        nonlocal out
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while not rx.search(out.decode(errors="replace")) and time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.1)
            if r:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
        return rx.search(out.decode(errors="replace"))

    h.check(read_until(r"\[attached to .*\^\] detaches\]"), "vessel console says how to detach")
    h.check(read_until(r"tick=2600 "), "vessel console shows the history first")
    raw = termios.tcgetattr(slave)
    h.check(not (raw[3] & termios.ICANON) and not (raw[3] & termios.ECHO), "the terminal is raw while attached")
    os.write(master, b"\r")
    read_until(r"guest> $")
    os.write(master, b"echo\r")
    time.sleep(0.3)
    os.write(master, b"typed-in-a-pty\r")
    h.check(read_until(r"echo=typed-in-a-pty"), "input typed in vessel console reaches the guest")
    h.check(vm_viewer.expect(r"echo=typed-in-a-pty", 10), "another viewer sees that too")
    os.write(master, b"\x1d")
    h.check(read_until(r"\[detached from " + re.escape(path) + r"\]"), "Ctrl-] prints [detached from PATH]")
    try:
        status = proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = None
    h.check(status == 0, f"vessel console exits 0 after detaching ({status})")
    after = termios.tcgetattr(slave)
    h.check(after == before, "the terminal settings are restored after detaching")
    os.close(master)
    os.close(slave)


def hvc_scenario(tmp):
    """--console virtio: hvc0's output is on the socket too, and client input goes to hvc0."""
    path = os.path.join(tmp, "hvc.sock")
    vm = h.Vm("--console-sock", path, "--console", "virtio", memory="128M",
              cmdline="console=ttyS0 run=hvcwrite:hello-hvc,hvcecho,poweroff")
    try:
        if not h.check(wait_for_socket(path, vm), "a VM with --console virtio serves the console socket"):
            return
        v = Viewer(path)
        h.check(v.expect(r"^hello-hvc\r?$", 60), "hvc0's output reaches the socket")
        # Input sent before the guest opened hvc0 is held until it has.
        v.send("socket-to-hvc\n")
        h.check(v.expect(r"^hvcecho=socket-to-hvc\r?$", 60), "client input reaches hvc0")
        h.check(vm.wait(60) == 0, "the guest powers off")
        v.close()
    finally:
        vm.kill()


def main():
    h.require_kvm()
    if not shutil.which("socat"):
        h.skip("socat is not installed (scripts/setup-deps installs it)")
    tmp = tempfile.mkdtemp(prefix="vessel-console-sock-")
    path = os.path.join(tmp, "console.sock")
    check_bad_input(tmp)

    # A stale socket file from a vessel that died is replaced.
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()
    vm = h.Vm("--console-sock", path, "-v", cmdline="console=ttyS0 run=tick:100:10")
    viewers = []
    try:
        if not h.check(wait_for_socket(path, vm), "vessel serves the console socket (a stale file was replaced)"):
            vm.wait(2)
            vm.dump()
            h.finish()
        # The terminal is not the console: what arrives on stdin is not read.
        vm.send("poweroff\r")
        a = Viewer(path)
        viewers.append(a)
        h.check(a.expect(r"vessel-guest: boot", 30), "viewer A gets the first line")
        h.check(a.expect(r"tick\.done=10", 60), "viewer A gets live output")
        h.check(a.expect(r"guest> $", 30), "viewer A sees the shell prompt")
        b = Viewer(path)
        viewers.append(b)
        h.check(b.expect(r"guest> $", 10), "viewer B, connected later, gets the history up to the prompt")
        h.check(len(b.data) > 100 and b.data[:100] == a.data[:100] and b"vessel-guest: boot" in b.data,
                "viewer B's history starts as viewer A's did, with the guest's first line")

        guest_line(a, "hello-from-a")
        h.check(a.expect(r"echo=hello-from-a", 30), "input from viewer A reaches the guest")
        h.check(b.expect(r"echo=hello-from-a", 10), "viewer B sees the answer to A's input")

        a.close()
        time.sleep(0.5)
        guest_line(b, "after-a-left")
        h.check(b.expect(r"echo=after-a-left", 30), "the VM goes on after a viewer disconnects")
        h.check(vm.proc.poll() is None, "vessel ignored 'poweroff' on its stdin (the socket is the console)")

        # 16 clients at most; the 17th is told and closed.
        extra = [Viewer(path, read=False) for _ in range(MAX_CLIENTS - 1)]
        over = Viewer(path)
        h.check(over.expect(r"too many console clients", 10) and over.wait_closed(10),
                "the 17th client gets a one-line refusal and is closed")
        for v in extra:
            v.close()
        over.close()
        time.sleep(0.5)

        # A client that never reads is dropped; the guest and viewer B are not held up.
        slow = Viewer(path, read=False, rcvbuf=4096)
        b.expect(r"guest> $", 10)
        mark = len(b.data)
        started = time.monotonic()
        b.send("tick:1:2600\r")
        h.check(b.expect(r"tick\.done=2600", 120), "viewer B gets all of a long output while another client does not read")
        took = time.monotonic() - started
        print(f"  info: {len(b.data) - mark} bytes of output in {took:.1f} s", flush=True)
        slow.sock.settimeout(5)
        got, dropped = b"", False
        try:
            while True:
                chunk = slow.sock.recv(65536)
                if not chunk:
                    dropped = True
                    break
                got += chunk
        except ConnectionResetError:
            dropped = True
        except socket.timeout:
            pass
        h.check(dropped, f"the client that stopped reading was disconnected (it had {len(got)} bytes queued)")
        h.check(len(got) < len(b.data) - mark + 4096, "the slow client did not get everything")
        vm._pump(0.2)
        h.check(vm.err.decode(errors="replace").count("stopped reading its output") == 1,
                "vessel logged the drop once (-v)")
        slow.close()

        # socat as a plain viewer that types.
        socat = subprocess.Popen(["socat", "-", "UNIX-CONNECT:" + path], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        socat_out = b""
        deadline = time.monotonic() + 30
        socat.stdin.write(b"\r")
        socat.stdin.flush()
        time.sleep(0.5)
        socat.stdin.write(b"echo\r")
        socat.stdin.flush()
        time.sleep(0.3)
        socat.stdin.write(b"via-socat\r")
        socat.stdin.flush()
        while b"echo=via-socat" not in socat_out and time.monotonic() < deadline:
            r, _, _ = select.select([socat.stdout], [], [], 0.2)
            if r:
                socat_out += os.read(socat.stdout.fileno(), 65536)
        # The ring holds the last 64 KiB: the long output pushed the first lines out.
        h.check(b"tick=2600" in socat_out and b"vessel-guest: boot" not in socat_out,
                "socat gets the history (the last 64 KiB)")
        h.check(b"echo=via-socat" in socat_out, "socat's input reaches the guest and its answer comes back")
        socat.stdin.close()
        try:
            socat.wait(10)
        except subprocess.TimeoutExpired:
            socat.kill()

        # vessel console in a pty.
        pty_console(path, b)
        time.sleep(0.3)
        h.check(vm.proc.poll() is None, "the VM still runs after vessel console detached")

        # A non-tty client: history, then it detaches a second after its input ends.
        status, out, err = vessel_console([path])
        h.check(len(out) >= RING, f"the history is the whole ring: {len(out)} bytes")
        h.check(status == 0 and "echo=typed-in-a-pty" in out and "[detached from" in err,
                f"vessel console with stdin from /dev/null prints the history and detaches (status {status})")

        # The VM ends: attached clients are told.
        follower = subprocess.Popen([h.VESSEL, "console", path], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.5)
        guest_line(b, "x")
        b.expect(r"echo=x", 30)
        b.expect(r"guest> $", 10)
        b.send("poweroff\r")
        status = vm.wait(60)
        h.check(status == 0, f"vessel ends with 0 after the guest powered off ({status})")
        h.check(b.wait_closed(10), "viewer B is disconnected when the VM ends")
        try:
            fout, ferr = follower.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            follower.kill()
            fout, ferr = follower.communicate()
        h.check(follower.returncode == 0 and b"[console closed: the VM stopped]" in ferr,
                f"an attached vessel console says the VM stopped and exits 0 ({follower.returncode})")
        h.check(b"poweroff=requested" in fout, "it showed the output up to the end")
        h.check(vm.out == b"", f"nothing went to vessel's stdout ({len(vm.out)} bytes)")
        h.check(not os.path.exists(path), "the socket file is removed at exit")
        hvc_scenario(tmp)
    finally:
        for v in viewers:
            v.close()
        vm.kill()
        if _failures_present():
            vm.dump()
        shutil.rmtree(tmp, ignore_errors=True)
    h.finish()


def _failures_present():
    return bool(h._failures)


if __name__ == "__main__":
    main()
