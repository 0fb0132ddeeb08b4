# SPDX-License-Identifier: MIT
"""Shared pieces of the benchmarks that run a workload inside the test guest
under vessel and under QEMU and read the guest's key=value results."""

import os
import http.client
import json
import platform
import re
import socket
import statistics
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
QEMU_CPU = "host,-arch-capabilities"  # plain "host" aborts on kvm_pvm
LINUX_FETCH = os.path.join(ROOT, "tests", "linux", "fetch.sh")


def is_pvm_host():
    """kvm_pvm: guest kernel mode is emulated, so a Linux guest needs minutes to boot."""
    return os.path.exists("/sys/module/kvm_pvm")


def host_description():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    kvm = "kvm_pvm (nested, guest kernel mode emulated)" if is_pvm_host() else "KVM"
    return "%s, %d CPUs, %s, Linux %s" % (model, os.cpu_count() or 0, kvm, platform.release())


def qemu_version(qemu="qemu-system-x86_64"):
    try:
        out = subprocess.run([qemu, "--version"], capture_output=True, text=True).stdout
        return out.splitlines()[0] if out else "?"
    except OSError:
        return "not found"


def vessel_argv(vessel, kernel, cmdline, cpus, memory, extra):
    return [vessel, "run", "--stats", "--kernel", kernel, "--cmdline", cmdline,
            "--cpus", str(cpus), "--memory", memory] + list(extra)


def qemu_argv(kernel, cmdline, cpus, memory, extra, machine="q35", qemu="qemu-system-x86_64",
              accel="kvm"):
    """accel "tcg" (QEMU's emulator, -cpu max) is for checking a pipeline on
    hosts where guest kernels do not run natively, never for numbers."""
    accel_args = ["-enable-kvm", "-cpu", QEMU_CPU] if accel == "kvm" else ["-accel", accel, "-cpu", "max"]
    return [qemu] + accel_args + ["-M", machine, "-smp", str(cpus),
                                  "-m", memory, "-nographic", "-no-reboot", "-nodefaults",
                                  "-serial", "stdio", "-kernel", kernel, "-append", cmdline] + list(extra)


def fetch_linux_guest(*flags):
    """The Debian Linux guest from tests/linux/fetch.sh (cached): a dict with
    kernel, initrd, maybe vmlinux and, with "--with-fio", initrd_fio. Raises
    RuntimeError with fetch.sh's last error line."""
    p = subprocess.run(["bash", LINUX_FETCH] + list(flags), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
        raise RuntimeError(last)
    return dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)


def run_guest(argv, timeout=600):
    """Runs a VM to completion; returns (guest key=value dict, vessel stats dict, output)."""
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout)
    out = p.stdout + p.stderr
    values = {}
    for line in out.replace("\r", "").splitlines():
        m = re.match(r"^([A-Za-z0-9_.]+)=(\S*)$", line)
        if m:
            values[m.group(1)] = m.group(2)
    stats = {}
    m = re.search(r"vessel: stats: (.*)", out)
    if m:
        stats = dict(kv.split("=", 1) for kv in m.group(1).split())
    return values, stats, out


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket (vessel's per-VM API, the manager daemon)."""

    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def request(conn, method, path, body=None):
    """One request on conn (kept alive); (status, body bytes)."""
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json"} if body is not None else {})
    resp = conn.getresponse()
    return resp.status, resp.read()
