#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""virtio-blk end to end: the guest writes a known pattern to several disks
and flushes; after power-off, and after vessel is killed with SIGKILL right
after the flush completed, the host file holds every byte. The guest reads
host-written data back exactly, a read-only disk refuses writes with IOERR,
WRITE_ZEROES and DISCARD reach the file, and malformed requests are refused
with the device still usable. With queues=4 the guest sees num_queues=4 and
round trips, interrupts and a flush work on every queue; bad queue counts
are refused with status 2."""
import os
import signal
import tempfile

import harness as h

MASK = (1 << 64) - 1
SECTOR = 512


def mix(x):
    """The test guest's pattern word (tests/guest/README.md)."""
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def pattern(seed, sector, count):
    start = sector * SECTOR
    return b"".join(mix(seed ^ off).to_bytes(8, "little")
                    for off in range(start, start + count * SECTOR, 8))


def fnv1a(data):
    hsh = 0xCBF29CE484222325
    for b in data:
        hsh = ((hsh ^ b) * 0x100000001B3) & MASK
    return hsh


def disk(path, size, data=None):
    with open(path, "wb") as f:
        f.truncate(size)
        if data:
            f.write(data)
    return path


h.require_kvm()
tmp = tempfile.mkdtemp(prefix="vessel-blk-")
d0 = disk(os.path.join(tmp, "d0.img"), 16 << 20)
d1 = disk(os.path.join(tmp, "d1.img"), 8 << 20)
host_data = os.urandom(1 << 20)
ro = disk(os.path.join(tmp, "ro.img"), 4 << 20, host_data)

# Writes on two disks, host data read back, read-only refusal, zeroes, ids.
vm = h.run_guest(["blk", "blkwrite:0:100:300:7", "blkwrite:1:0:2048:11", "blkread:2:0:2048",
                  "blkwrite:2:0:8:1", "blkzero:0:1000:16", "blkid:0", "poweroff"],
                 "--disk", f"path={d0},serial=alpha", "--disk", f"path={d1}",
                 "--disk", f"path={ro},readonly=on", memory="128M", timeout=120)
v = vm.values()
ok = h.check(vm.status == h.STATUS_POWEROFF, f"exit status {vm.status} == 0")
ok &= h.check(v.get("blk.count") == "3", f"the guest sees 3 disks ({v.get('blk.count')})")
ok &= h.check(v.get("blk.0.capacity") == str((16 << 20) // SECTOR), "disk 0 capacity in sectors")
ok &= h.check(v.get("blk.2.ro") == "1", "disk 2 is read-only to the guest")
ok &= h.check(v.get("blkid") == "alpha", f"GET_ID returns the serial ({v.get('blkid')})")
ok &= h.check(v.get("blkread.fnv1a") == "0x%x" % fnv1a(host_data), "the guest reads host data exactly")
ok &= h.check(v.get("blkwrite.status") == "1", "a write to the read-only disk gets IOERR")
with open(d0, "rb") as f:
    img0 = f.read()
with open(d1, "rb") as f:
    img1 = f.read()
ok &= h.check(img0[100 * SECTOR:400 * SECTOR] == pattern(7, 100, 300), "disk 0: every written byte is in the file")
ok &= h.check(img1[:2048 * SECTOR] == pattern(11, 0, 2048), "disk 1: 1 MiB written, flushed and in the file")
ok &= h.check(img0[1000 * SECTOR:1016 * SECTOR] == bytes(16 * SECTOR), "WRITE_ZEROES zeroed the range")
with open(ro, "rb") as f:
    ok &= h.check(f.read()[:1 << 20] == host_data, "the read-only disk is unchanged")
if not ok:
    vm.dump()

# SIGKILL right after the flush completed: the data is still on the host.
d2 = disk(os.path.join(tmp, "d2.img"), 8 << 20)
vm = h.Vm("--disk", f"path={d2}", cmdline="console=ttyS0 run=blkwrite:0:0:4096:99", memory="128M")
m = vm.expect(r"^blkwrite\.ok=1", timeout=60)
vm.proc.send_signal(signal.SIGKILL)
vm.proc.wait()
ok = h.check(m is not None, "the guest's write and flush completed")
with open(d2, "rb") as f:
    ok &= h.check(f.read()[:4096 * SECTOR] == pattern(99, 0, 4096),
                  "after kill -9 right after the flush, all 2 MiB are in the file")
if not ok:
    vm.dump()

# Malformed requests: refused, the device recovers, vessel keeps running.
cases = ["short-header", "no-status", "wrong-dir", "beyond", "huge"]
vm = h.run_guest([f"blkbad:0:{c}" for c in cases] + ["blkverify:0:100:300:7", "poweroff"],
                 "--disk", f"path={d0}", memory="128M", timeout=120)
v = vm.values()
ok = h.check(vm.status == h.STATUS_POWEROFF, f"after bad requests, exit status {vm.status} == 0")
for c in ("beyond", "huge", "wrong-dir"):
    ok &= h.check(v.get(f"blkbad.{c}.status") not in (None, "0"), f"{c}: refused (status {v.get(f'blkbad.{c}.status')})")
for c in cases:
    ok &= h.check(v.get(f"blkbad.{c}.recovered") == "1", f"{c}: the disk works afterwards")
ok &= h.check(v.get("blkverify.ok") == "1", "earlier data reads back intact")
if not ok:
    vm.dump()

# Multiqueue: queues=4 with 2 vCPUs. The guest negotiates VIRTIO_BLK_F_MQ, sees
# num_queues=4, writes on every queue (interrupts through each queue's own
# MSI-X entry), flushes on every queue and reads back over all of them at once,
# each chunk on another queue than wrote it. The default disk stays one queue.
d3 = disk(os.path.join(tmp, "d3.img"), 8 << 20)
d4 = disk(os.path.join(tmp, "d4.img"), 1 << 20)
vm = h.run_guest(["blk", "blkmq:0:8:1000:21", "blkmq:1:0:64:3", "poweroff"],
                 "--disk", f"path={d3},queues=4", "--disk", f"path={d4}", cpus=2, memory="128M", timeout=120)
v = vm.values()
runs = [dict(ln.strip("\r").split("=", 1) for ln in part.splitlines() if "=" in ln)
        for part in vm.text.replace("blkmq.mq=", "\x00blkmq.mq=").split("\x00")[1:]]
ok = h.check(vm.status == h.STATUS_POWEROFF, f"multiqueue: exit status {vm.status} == 0")
ok &= h.check(len(runs) == 2, f"blkmq ran on both disks ({len(runs)})")
ok &= h.check(int(v.get("blk.0.features", "0"), 16) & (1 << 12) == 0,
              "a driver that does not ask for MQ does not get it")
if len(runs) == 2:
    mq, one = runs
    ok &= h.check(mq.get("blkmq.num_queues") == "4", f"queues=4: the guest sees num_queues=4 ({mq.get('blkmq.num_queues')})")
    for q in range(4):
        ok &= h.check(mq.get(f"blkmq.q{q}.vector") == "own", f"queue {q} has its own MSI-X entry")
        ok &= h.check(int(mq.get(f"blkmq.q{q}.writes", "0")) >= 31 and int(mq.get(f"blkmq.q{q}.reads", "0")) >= 31,
                      f"queue {q}: writes {mq.get(f'blkmq.q{q}.writes')} and reads {mq.get(f'blkmq.q{q}.reads')} round trips")
        ok &= h.check(int(mq.get(f"blkmq.q{q}.irqs", "0")) > 0,
                      f"queue {q}: {mq.get(f'blkmq.q{q}.irqs')} interrupts through its own entry")
        ok &= h.check(mq.get(f"blkmq.q{q}.flush") == "0", f"queue {q}: FLUSH status 0")
    ok &= h.check(mq.get("blkmq.status") == "0" and mq.get("blkmq.ok") == "1",
                  "queues=4: every chunk read back over another queue matches")
    ok &= h.check(mq.get("blkmq.mq") == "1", "queues=4: VIRTIO_BLK_F_MQ negotiated")
    ok &= h.check(one.get("blkmq.mq") == "0" and one.get("blkmq.num_queues") == "1",
                  "default disk: no VIRTIO_BLK_F_MQ offered, one queue")
    ok &= h.check(one.get("blkmq.ok") == "1" and "blkmq.q1.writes" not in one, "default disk: data verified")
with open(d3, "rb") as f:
    ok &= h.check(f.read()[8 * SECTOR:1008 * SECTOR] == pattern(21, 8, 1000),
                  "multiqueue: every byte written over 4 queues is in the file")
with open(d4, "rb") as f:
    ok &= h.check(f.read()[:64 * SECTOR] == pattern(3, 0, 64), "default disk: the bytes are in the file")
if not ok:
    vm.dump()

# Bad queue counts: a clear error, status 2, no guest.
for bad, why in (("0", "from 1 to 16"), ("17", "from 1 to 16"), ("two", "from 1 to 16")):
    status, _, err = h.run_vessel(["run", "--kernel", h.GUEST, "--disk", f"path={d3},queues={bad}"])
    first = err.strip().splitlines()[0] if err.strip() else ""
    h.check(status == h.STATUS_USAGE and f"queues='{bad}'" in first and why in first,
            f"queues={bad}: status {status} == 2, says why: {first!r}")

for name in os.listdir(tmp):
    os.unlink(os.path.join(tmp, name))
os.rmdir(tmp)
h.finish()
