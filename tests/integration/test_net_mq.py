#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Multiqueue virtio-net on a multiqueue TAP (--net tap=NAME,queues=N):
- bad queues= values and queues= with user networking are usage errors
  (status 2) before boot; a TAP that exists without multi_queue is status 1
  with a line that says how to recreate it (needs root);
- in a network namespace of our own (needs root), the test guest's netmq
  command negotiates MQ on a 4-pair NIC, has VQ_PAIRS_SET 0 and 5 refused,
  sets 4 pairs, pings the host from every pair's transmit queue and gets
  every reply; each receive queue delivers frames (the tun driver sends a
  flow's replies to the queue the flow last came from), the receive queues
  of pairs not in use deliver nothing, and after going back to one pair
  everything arrives on receive queue 0 (the other TAP queues are
  detached). The old single-queue driver then works on the same NIC;
- a snapshot taken while 2 of 4 pairs are in use restores them: the
  restored guest pings over both pairs again, and the receive queues of
  the other two still deliver nothing (their TAP queues stay detached);
- queues=1 on a multiqueue TAP works, and a TAP vessel creates with
  queues=2 is multiqueue and gone after exit."""
import os
import re
import shutil
import subprocess
import tempfile

import harness as h

R = ["run", "--kernel", h.GUEST]
cli_ok = True


def expect_usage(args, pattern, what):
    global cli_ok
    rc, out, err = h.run_vessel(args)
    ok = h.check(rc == h.STATUS_USAGE, f"{what}: exit status {rc} == {h.STATUS_USAGE}")
    ok &= h.check(pattern in err, f"{what}: stderr says {pattern!r}")
    ok &= h.check("vessel-guest: boot" not in out, f"{what}: refused before boot")
    if not ok:
        print("    stderr was: " + err.strip()[:300])
    cli_ok &= ok


# The command line itself: no KVM, no root needed.
expect_usage(R + ["--net", "tap=t0,queues=0"], "queues '0': expected 1 to 8", "queues=0")
expect_usage(R + ["--net", "tap=t0,queues=9"], "queues '9': expected 1 to 8", "queues=9")
expect_usage(R + ["--net", "tap=t0,queues=two"], "queues 'two': expected 1 to 8", "queues=two")
expect_usage(R + ["--net", "tap=t0,queues="], "queues '': expected 1 to 8", "queues=")
expect_usage(R + ["--net", "user,queues=2"], "queues= is for tap networking only", "queues= with user networking")

h.require_kvm()
if os.geteuid() != 0 or not shutil.which("ip") or not os.path.exists("/dev/net/tun") or not shutil.which("curl"):
    if not cli_ok:
        h.finish()
    h.skip("the TAP part needs root, iproute2, /dev/net/tun and curl (bad-option checks passed)")

NS = f"vessel-mq{os.getpid() % 100000}"
IN_NS = ["ip", "netns", "exec", NS]
HOST, GUEST_IP = "10.79.0.1", "10.79.0.2"
tmp = tempfile.mkdtemp(prefix="vessel-netmq-")


def ns(*cmd):
    return subprocess.run(IN_NS + list(cmd), capture_output=True, text=True)


def curl(sock, method, path, body=None):
    status, _, raw = h.curl(sock, method, path, body, timeout=60)
    return status, raw


def check_pairs(v, what, frames):
    """Every pair sent its pings and got every reply; the counts the guest reports."""
    ok = True
    for i in range(4):
        q = lambda k: v.get(f"netmq.q{i}.{k}")
        # tx0 also carries the ARP request and the pings after going back to one pair.
        tx_ok = int(q("tx") or 0) >= frames if i == 0 else q("tx") == str(frames)
        ok &= h.check(tx_ok, f"{what}: pair {i} sent its {frames} pings on transmit queue {2 * i + 1} "
                             f"(tx={q('tx')})")
        ok &= h.check(q("replies") == str(frames), f"{what}: every reply to pair {i} came back ({q('replies')})")
        ok &= h.check(int(q("rx") or 0) >= 1, f"{what}: receive queue {2 * i} delivered frames (rx={q('rx')}, "
                                              f"{q('same')} replies on the sending pair)")
        ok &= h.check(q("vector") == "own", f"{what}: receive queue {2 * i} has its own MSI-X entry")
        if int(q("same") or 0) >= 1:
            ok &= h.check(int(q("irqs") or 0) >= 1,
                          f"{what}: interrupts came through entry {i} ({q('irqs')})")
    return ok


subprocess.run(["ip", "netns", "add", NS], check=True)
try:
    ns("ip", "link", "set", "lo", "up")
    ns("ip", "tuntap", "add", "dev", "vmq0", "mode", "tap", "multi_queue", "vnet_hdr")
    ns("ip", "addr", "add", f"{HOST}/24", "dev", "vmq0")
    ns("ip", "link", "set", "vmq0", "up")
    ns("ip", "tuntap", "add", "dev", "vsq0", "mode", "tap", "vnet_hdr")

    # --- a TAP without multi_queue: one line saying how to recreate it, before boot ---
    p = subprocess.run(IN_NS + [h.VESSEL] + R + ["--net", "tap=vsq0,queues=4"],
                       capture_output=True, text=True, timeout=30)
    want = "tap vsq0: not a multiqueue TAP; recreate it with `ip tuntap add dev vsq0 mode tap multi_queue vnet_hdr`"
    h.check(p.returncode == h.STATUS_ERROR, f"non-multiqueue TAP with queues=4: status {p.returncode} == 1")
    h.check(want in p.stderr, f"non-multiqueue TAP: stderr says how to recreate it ({p.stderr.strip()[-200:]!r})")
    h.check("vessel-guest: boot" not in p.stdout, "non-multiqueue TAP: refused before boot")

    # --- 4 pairs: every queue carries traffic, then the single-queue driver on the same NIC ---
    vm = h.Vm("--net", "tap=vmq0,queues=4", prefix=IN_NS, cpus=2, memory="128M",
              cmdline=f"console=ttyS0 run=netmq:{GUEST_IP}:{HOST}:4:4,ip:{GUEST_IP}/24,ping:{HOST}:3,poweroff")
    status = vm.wait(120)
    v = vm.values()
    ok = h.check(status == h.STATUS_POWEROFF, f"4 pairs: exit status {status} == 0")
    ok &= h.check(v.get("netmq.mq") == "1" and v.get("netmq.max_pairs") == "4",
                  f"the guest negotiated MQ with max_virtqueue_pairs 4 ({v.get('netmq.max_pairs')})")
    ok &= h.check(v.get("netmq.set0") == "err", f"VQ_PAIRS_SET 0 refused with VIRTIO_NET_ERR ({v.get('netmq.set0')})")
    ok &= h.check(v.get("netmq.set_over") == "err", f"VQ_PAIRS_SET 5 refused ({v.get('netmq.set_over')})")
    ok &= h.check(v.get("netmq.set") == "ok" and v.get("netmq.pairs") == "4", "VQ_PAIRS_SET 4 accepted")
    ok &= check_pairs(v, "4 pairs", 4)
    ok &= h.check(v.get("netmq.set1") == "ok" and v.get("netmq.after1.replies") == "4",
                  "back to one pair: VQ_PAIRS_SET 1 accepted, every reply came back")
    ok &= h.check(v.get("netmq.after1.other") == "0" and int(v.get("netmq.after1.rx0") or 0) >= 4,
                  f"back to one pair: all {v.get('netmq.after1.rx0')} frames on receive queue 0 "
                  f"({v.get('netmq.after1.other')} elsewhere)")
    ok &= h.check(not int(v.get("netmq.status", "0x40"), 16) & 0x40, "the device never needed a reset")
    ok &= h.check(v.get("netmq.ok") == "1", "netmq.ok=1")
    ok &= h.check(v.get("ping.ok") == "1", "then the single-queue driver pings on the same NIC")
    if not ok:
        vm.dump()

    # --- a snapshot with 2 of 4 pairs in use restores them ---
    snap = os.path.join(tmp, "snap")
    sock = os.path.join(tmp, "api.sock")
    src = h.Vm("--net", "tap=vmq0,queues=4", "--api-sock", sock, prefix=IN_NS, memory="128M",
               cmdline=f"console=ttyS0 run=netmq:{GUEST_IP}:{HOST}:2:2:8,poweroff")
    ok = h.check(src.expect(r"^netmq\.holding=2", timeout=120) is not None, "snapshot source: 2 pairs in use, holding")
    if ok:
        st, raw = curl(sock, "PATCH", "/vm", {"state": "Paused"})
        ok &= h.check(st == 204, f"pause: 204 ({st} {raw})")
        os.makedirs(snap)
        st, raw = curl(sock, "PUT", "/snapshot/create", {"snapshot_type": "Full",
                                                         "snapshot_path": os.path.join(snap, "vm.state"),
                                                         "mem_file_path": os.path.join(snap, "vm.mem")})
        ok &= h.check(st == 204, f"snapshot/create: 204 ({st} {raw})")
    src.kill()
    if ok:
        dst = h.Vm("--restore", snap, kernel=None, prefix=IN_NS)
        status = dst.wait(120)
        v = dst.values()
        ok &= h.check(status == h.STATUS_POWEROFF, f"restored guest powers off: status {status} == 0")
        ok &= h.check(v.get("netmq.held") == "8", "the restored guest finished its hold")
        for i in range(2):
            ok &= h.check(v.get(f"netmq.again.q{i}.replies") == "2",
                          f"after restore, pair {i} still works: {v.get(f'netmq.again.q{i}.replies')} of 2 replies")
        ok &= h.check(v.get("netmq.unused_rx") == "0" and v.get("netmq.q2.rx") == "0" and v.get("netmq.q3.rx") == "0",
                      f"before and after restore, nothing arrived on the 2 pairs not in use "
                      f"({v.get('netmq.q2.rx')}, {v.get('netmq.q3.rx')})")
        ok &= h.check(v.get("netmq.after1.other") == "0" and v.get("netmq.after1.replies") == "2",
                      "after restore, going back to one pair works")
        ok &= h.check(v.get("netmq.ok") == "1", "restored guest: netmq.ok=1")
        if not ok:
            dst.dump()
    if not ok:
        src.dump()

    # --- queues=1 on a multiqueue TAP; a multiqueue TAP vessel creates ---
    vm = h.Vm("--net", "tap=vmq0", prefix=IN_NS, memory="128M",
              cmdline=f"console=ttyS0 run=ip:{GUEST_IP}/24,ping:{HOST}:3,poweroff")
    status = vm.wait(60)
    if not h.check(status == 0 and vm.values().get("ping.ok") == "1",
                   f"queues=1 on a multiqueue TAP: pings (status {status})"):
        vm.dump()
    vm = h.Vm("--net", "tap=vmqnew,queues=2", prefix=IN_NS, memory="128M",
              cmdline="console=ttyS0 run=netmq:10.79.9.2:10.79.9.1:2:1,poweroff")
    status = vm.wait(60)
    v = vm.values()
    if not h.check(status == 0 and v.get("netmq.max_pairs") == "2" and v.get("netmq.set") == "ok",
                   f"a TAP vessel creates with queues=2 has 2 pairs (status {status}, "
                   f"max_pairs {v.get('netmq.max_pairs')}, set {v.get('netmq.set')})"):
        vm.dump()
    h.check(ns("ip", "link", "show", "vmqnew").returncode != 0, "the TAP vessel created is gone after exit")
finally:
    subprocess.run(["ip", "netns", "del", NS])
    shutil.rmtree(tmp, ignore_errors=True)
h.finish("multiqueue TAP: every pair carries traffic, bad pair counts are refused, pairs survive a restore")
