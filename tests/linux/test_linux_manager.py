#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The manager with the real Debian Linux guest (issue 4): `vessel daemon`
runs two Linux VMs at once (1 vCPU, and 2 vCPUs with a disk), each reaches
its init (VESSEL-LINUX-INIT-OK and the right nproc, read from its console
socket), powers off, and the daemon records a clean exit (stopped, status 0).

Skipped on kvm_pvm hosts: guest kernel mode is emulated there, a Linux boot
does not fit a test (the manager is tested with the test guest in
tests/integration/test_manager*.py).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import linux_harness as h

LIMIT = 180
VMS = {"lin1": {"cpus": 1, "disk": False}, "lin2": {"cpus": 2, "disk": True}}


def console_until(path, pattern, limit):
    """Reads a console socket (history first) until pattern or limit; the text seen."""
    deadline = time.monotonic() + limit
    buf = b""
    while time.monotonic() < deadline:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(1.0)
            s.connect(path)
        except OSError:
            time.sleep(0.1)
            continue
        buf = b""
        try:
            while time.monotonic() < deadline:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                buf += chunk
                if re.search(pattern, buf.decode("utf-8", "replace"), re.M):
                    return buf.decode("utf-8", "replace")
        finally:
            s.close()
    return buf.decode("utf-8", "replace")


def main():
    args = h.parse_args(__doc__)
    h.require_kvm()
    if h.is_pvm_host():
        h.skipped("kvm_pvm host: guest kernel mode runs emulated (~1.5M instr/s), "
                  "a Linux boot does not fit a test")
    h.require_vessel(args.vessel)
    guest = h.fetch_guest(args.fetch)
    tmp = tempfile.mkdtemp(prefix="vessel-linux-mgr-")
    state = os.path.join(tmp, "state")
    daemon = subprocess.Popen([args.vessel, "daemon", "--state-dir", state],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(tmp, "daemon.log"), "wb"))
    problems = []

    def verb(*a):
        p = subprocess.run([args.vessel, a[0], "--state-dir", state, *a[1:]],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            problems.append("vessel %s: %s" % (" ".join(a[:2]), p.stderr.strip()))
        return p

    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(state, "vesseld.sock")) and time.monotonic() < deadline:
            time.sleep(0.05)
        for name, shape in VMS.items():
            argv = ["create", name, "--kernel", guest["kernel"], "--initrd", guest["initrd"],
                    "--cmdline", "console=ttyS0 panic=-1 quiet", "--cpus", str(shape["cpus"]),
                    "--memory", "512M", "--on-reboot", "exit"]
            if shape["disk"]:
                disk = os.path.join(tmp, name + ".img")
                with open(disk, "wb") as f:
                    f.truncate(16 << 20)
                argv += ["--disk", "path=" + disk]
            verb(*argv)
        for name in VMS:
            verb("start", name)
        for name, shape in VMS.items():
            out = console_until(os.path.join(state, "vms", name, "console.sock"),
                                r"^nproc=\d+", LIMIT)
            m = re.search(r"^nproc=(\d+)", out, re.M)
            if "VESSEL-LINUX-INIT-OK" not in out or not m or int(m.group(1)) != shape["cpus"]:
                problems.append("%s: init not reached with nproc=%d (saw %r)" %
                                (name, shape["cpus"], out[-200:]))
        deadline = time.monotonic() + 60
        vms = {}
        while time.monotonic() < deadline:
            p = subprocess.run([args.vessel, "ls", "--json", "--state-dir", state],
                               capture_output=True, text=True)
            vms = {v["name"]: v for v in json.loads(p.stdout or "[]")}
            if all(vms.get(n, {}).get("state") == "stopped" for n in VMS):
                break
            time.sleep(0.2)
        for name in VMS:
            vm = vms.get(name, {})
            if vm.get("state") != "stopped" or vm.get("exit_status") != 0:
                problems.append("%s: state %s, exit status %s; want stopped, 0" %
                                (name, vm.get("state"), vm.get("exit_status")))
    finally:
        daemon.terminate()
        daemon.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        h.failed("; ".join(problems))
    h.passed("two Linux VMs (1 vCPU; 2 vCPUs with a disk) under the manager reached init, "
             "powered off and were recorded as stopped with status 0")


if __name__ == "__main__":
    main()
