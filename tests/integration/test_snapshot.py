#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Snapshot and restore (docs/snapshot.md): the test guest fills memory,
writes a disk and counts (memtick); it is paused and snapshotted through the
API, killed, and restored in a fresh process, where the count goes on with
the next number, the memory checksum still matches, the TSC moves on, the
disk and the console still work. Two clones of one snapshot run at once (one
from --restore, one from PUT /snapshot/load). Corrupt, truncated,
wrong-version state files and a memory file of the wrong size are refused
with one clear line and status 1."""
import os
import re
import shutil
import tempfile
import time

import harness as h

h.require_kvm()
if not shutil.which("curl"):
    h.skip("curl is missing (scripts/setup-deps installs it)")

tmp = tempfile.mkdtemp(prefix="vessel-snap-")
MEM = 256 << 20


def curl(sock, method, path, body=None):
    """(status, raw body)."""
    status, _, raw = h.curl(sock, method, path, body, timeout=60)
    return status, raw


def ticks(vm):
    """[(n, tsc)] of the memtick lines so far."""
    return [(int(n), int(t)) for n, t in re.findall(r"^memtick=(\d+) tsc=(\d+)", vm.text, re.M)]


def snapshot(vm, sock, snapdir):
    os.makedirs(snapdir, exist_ok=True)
    body = {"snapshot_type": "Full", "snapshot_path": os.path.join(snapdir, "vm.state"),
            "mem_file_path": os.path.join(snapdir, "vm.mem")}
    st, raw = curl(sock, "PUT", "/snapshot/create", body)
    h.check(st == 400 and "paused" in raw, f"snapshot of a running VM: 400 'must be paused' (got {st} {raw})")
    st, _ = curl(sock, "PATCH", "/vm", {"state": "Paused"})
    h.check(st == 204, "pause: 204")
    vm.expect(r"^memtick=\d+ tsc=\d+\r\n(?![\s\S]*memtick=)", timeout=2)   # the last line, whole
    t0 = time.monotonic()
    st, raw = curl(sock, "PUT", "/snapshot/create", body)
    h.check(st == 204, f"snapshot/create: 204 ({st} {raw}) in {time.monotonic() - t0:.2f} s")


def restore_fails(snapdir, want, what):
    status, out, err = h.run_vessel(["run", "--restore", snapdir], timeout=60)
    lines = [l for l in err.splitlines() if l.strip() and not l.startswith("vessel: note:")]
    h.check(status == h.STATUS_ERROR and len(lines) == 1 and re.search(want, lines[0]) is not None,
            f"{what}: status 1, one line matching /{want}/ (got {status}: {lines})")


# ---- 1. snapshot a guest that counts, with a disk ----
disk = os.path.join(tmp, "disk.img")
with open(disk, "wb") as f:
    f.truncate(16 << 20)
snap = os.path.join(tmp, "snap")
sock = os.path.join(tmp, "src.sock")
src = h.Vm("--disk", f"path={disk},queues=4", "--api-sock", sock,
           cmdline="console=ttyS0 run=blkwrite:0:0:8:7,memtick:16:200:30")
if not h.check(src.expect(r"^memtick=5 ", timeout=120) is not None, "source guest counts to 5"):
    src.dump()
    src.kill()
    h.finish()
fnv = src.values().get("memtick.fnv1a")
h.check(src.values().get("blkwrite.ok") == "1", "source guest wrote the disk")
snapshot(src, sock, snap)
before = ticks(src)
src.kill()
last_n, last_tsc = before[-1]
h.check(os.path.getsize(os.path.join(snap, "vm.mem")) == MEM, "memory file is the guest's RAM size")

# ---- 2. restore in a fresh process ----
dst = h.Vm("--restore", snap, "--stats", kernel=None)
ok = dst.expect(r"^memtick\.ok=\d", timeout=120) is not None
after = ticks(dst)
h.check(ok, "restored guest counts on to the end")
h.check(bool(after) and after[0][0] == last_n + 1,
        f"the count goes on with {last_n + 1} (first after restore: {after[0][0] if after else None})")
h.check([n for n, _ in after] == list(range(last_n + 1, 31)), "no tick lost or repeated after restore")
h.check(dst.values().get("memtick.ok") == "1" and "memtick.mismatch" not in dst.text,
        f"memory checksum {fnv} still matches after restore")
h.check(bool(after) and after[0][1] > last_tsc, "the TSC moves on from its saved value")
if len(before) >= 2 and after:
    tick = before[-1][1] - before[-2][1]
    h.check(after[0][1] - last_tsc < 5 * tick, "the TSC did not jump by more than a few ticks")
h.check(re.search(r"vessel: restore: read_state_us=\d+ rebuild_us=\d+", dst.err.decode()) is not None,
        "--stats prints the restore time")
if h.check(dst.expect(r"guest> ", timeout=30) is not None, "shell prompt after the run list"):
    dst.send("blkverify:0:0:8:7\r")
    h.check(dst.expect(r"^blkverify\.ok=1", timeout=60) is not None,
            "console input works and the disk reads back what was written before the snapshot")
    dst.send("blkwrite:0:64:8:3,blkverify:0:64:8:3\r")
    h.check(dst.expect(r"blkverify\.ok=1[\s\S]*blkverify\.ok=1", timeout=60) is not None,
            "the disk takes new writes after restore")
    dst.send("blkmq:0:128:64:5\r")
    h.check(dst.expect(r"blkmq\.num_queues=4[\s\S]*blkmq\.ok=1", timeout=60) is not None,
            "the restored disk has its 4 queues (queues=4), each one working")
    dst.send("poweroff\r")
status = dst.wait(60)
h.check(status == h.STATUS_POWEROFF, f"restored guest powers off: status 0 (got {status})")
if not ok:
    dst.dump()

# ---- 3. two clones of one snapshot at once (no writable disk: each would need its own copy) ----
snap2 = os.path.join(tmp, "snap2")
sock2 = os.path.join(tmp, "src2.sock")
src2 = h.Vm("--api-sock", sock2, cmdline="console=ttyS0 run=memtick:8:200:15")
if h.check(src2.expect(r"^memtick=3 ", timeout=120) is not None, "second source counts to 3"):
    # This time from the command line: vessel snapshot pauses, writes, leaves it paused.
    status, out, err = h.run_vessel(["snapshot", "--api-sock", sock2, snap2], timeout=120)
    h.check(status == 0 and out.strip() == os.path.realpath(snap2),
            f"vessel snapshot --api-sock: status 0, prints the directory ({status} {out!r} {err!r})")
    st, raw = curl(sock2, "GET", "/")
    h.check(st == 200 and '"Paused"' in raw, "after vessel snapshot the VM stays paused")
    src2.expect(r"^memtick=\d+ tsc=\d+\r\n(?![\s\S]*memtick=)", timeout=2)
    n2 = ticks(src2)[-1][0]
    src2.kill()
    csock = os.path.join(tmp, "clone.sock")
    clone_a = h.Vm("--restore", snap2, kernel=None)
    clone_b = h.Vm("--api-sock", csock, kernel=None)
    for _ in range(100):
        if os.path.exists(csock):
            break
        time.sleep(0.05)
    st, raw = curl(csock, "PUT", "/snapshot/load",
                   {"snapshot_path": os.path.join(snap2, "vm.state"),
                    "mem_backend": {"backend_path": os.path.join(snap2, "vm.mem"), "backend_type": "File"},
                    "resume_vm": True})
    h.check(st == 204, f"snapshot/load in a fresh vessel: 204 ({st} {raw})")
    st, raw = curl(csock, "PUT", "/snapshot/load",
                   {"snapshot_path": os.path.join(snap2, "vm.state"), "mem_file_path": os.path.join(snap2, "vm.mem")})
    h.check(st == 400, f"a second snapshot/load: 400 ({st})")
    for name, c in (("clone A (--restore)", clone_a), ("clone B (API)", clone_b)):
        done = c.expect(r"^memtick\.ok=\d", timeout=120) is not None
        t = ticks(c)
        h.check(done and c.values().get("memtick.ok") == "1" and t and t[0][0] == n2 + 1,
                f"{name} goes on from {n2 + 1} with its memory intact")
        if not done:
            c.dump()
    clone_a.kill()
    clone_b.kill()
else:
    src2.dump()
    src2.kill()

# ---- 4. bad snapshots: refused with one line, status 1, nothing run ----
def copy_snap(name):
    d = os.path.join(tmp, name)
    shutil.copytree(snap, d)
    return d


state_len = os.path.getsize(os.path.join(snap, "vm.state"))
d = copy_snap("corrupt")
with open(os.path.join(d, "vm.state"), "r+b") as f:
    f.seek(state_len // 2)
    b = f.read(1)
    f.seek(state_len // 2)
    f.write(bytes([b[0] ^ 0x40]))
restore_fails(d, r"checksum", "a flipped byte")

d = copy_snap("truncated")
with open(os.path.join(d, "vm.state"), "r+b") as f:
    f.truncate(state_len - 100)
restore_fails(d, r"truncated", "a truncated state file")

d = copy_snap("version")
with open(os.path.join(d, "vm.state"), "r+b") as f:
    f.seek(8)
    f.write((99).to_bytes(4, "little"))
restore_fails(d, r"version 99 is not supported", "a state file of another format version")

d = copy_snap("magic")
with open(os.path.join(d, "vm.state"), "r+b") as f:
    f.write(b"NOTVESSL")
restore_fails(d, r"not a vessel snapshot", "a file that is not a snapshot")

d = copy_snap("memsize")
with open(os.path.join(d, "vm.mem"), "r+b") as f:
    f.truncate(MEM - 4096)
restore_fails(d, r"memory file .* bytes", "a memory file of the wrong size")

d = copy_snap("nomem")
os.unlink(os.path.join(d, "vm.mem"))
restore_fails(d, r"memory file .*No such file", "a missing memory file")

restore_fails(os.path.join(tmp, "nowhere"), r"No such file", "a missing snapshot directory")
status, _, err = h.run_vessel(["restore", os.path.join(tmp, "memsize")])
h.check(status == h.STATUS_ERROR and "memory file" in err, "vessel restore DIR is run --restore DIR")
status, _, err = h.run_vessel(["snapshot", "--api-sock", os.path.join(tmp, "nobody.sock"), os.path.join(tmp, "x")])
h.check(status == h.STATUS_ERROR and err.count("\n") == 1, f"vessel snapshot without a VM: status 1, one line ({err!r})")

status, _, err = h.run_vessel(["run", "--restore", snap, "--memory", "512M"])
h.check(status == h.STATUS_USAGE and "--restore" in err, "--restore with --memory: usage error, status 2")

# A bad snapshot through the API: 400, and the process waits on for a good one.
bsock = os.path.join(tmp, "bad.sock")
waiting = h.Vm("--api-sock", bsock, kernel=None)
for _ in range(100):
    if os.path.exists(bsock):
        break
    time.sleep(0.05)
st, raw = curl(bsock, "PUT", "/snapshot/load",
               {"snapshot_path": os.path.join(tmp, "corrupt", "vm.state"),
                "mem_backend": {"backend_path": os.path.join(tmp, "corrupt", "vm.mem"), "backend_type": "File"}})
h.check(st == 400 and "checksum" in raw, f"snapshot/load of a corrupt file: 400 naming the checksum ({raw})")
st, raw = curl(bsock, "PUT", "/snapshot/load", {"snapshot_path": "x", "mem_backend": {"backend_path": "y",
                                                                                      "backend_type": "Uffd"}})
h.check(st == 400 and "Uffd" in raw, "snapshot/load with a Uffd backend: 400")
st, raw = curl(bsock, "GET", "/")
h.check(st == 200 and "Not started" in raw, "after refused loads the VMM still waits, nothing started")
waiting.kill()

shutil.rmtree(tmp, ignore_errors=True)
h.finish()
