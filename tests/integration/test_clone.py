#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Clones of one snapshot, each with its own identity (docs/snapshot.md,
Clones): a guest with a disk and a NIC waits for a VM generation ID change
(vmgenwait) and is snapshotted; two clones restored at once, one from the
command line (--disk-override, --net-override) and one through
PUT /snapshot/load (drive_overrides, network_overrides), each see the
GED's notification and a generation ID that differs from the original's and
from each other's, the MAC they were given (with a config-change signal),
and write their own disk copy while the original image stays untouched.
Bad overrides (unknown id, wrong-size disk, bad MAC, a TAP for user-mode
networking) are refused with one clear line (status 1, or 2 for a malformed
option) or 400, and nothing is left half loaded. A drive configured through
the API is overridden by its drive_id. With root, a TAP override gives a
clone its own TAP interface."""
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time

import harness as h

h.require_kvm()
if not shutil.which("curl"):
    h.skip("curl is missing (scripts/setup-deps installs it)")

tmp = tempfile.mkdtemp(prefix="vessel-clone-")
DISK_SIZE = 16 << 20
MAC_A, MAC_B = "52:54:00:00:0a:01", "52:54:00:00:0b:01"
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def curl(sock, method, path, body=None):
    """(status, raw body)."""
    status, _, raw = h.curl(sock, method, path, body, timeout=60)
    return status, raw


def wait_sock(path):
    for _ in range(200):
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return False


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def genids(vm):
    return re.findall(r"^vmgenid=(" + GUID + r")\r?$", vm.text, re.M)


def load_body(snapdir, **extra):
    body = {"snapshot_path": os.path.join(snapdir, "vm.state"),
            "mem_backend": {"backend_path": os.path.join(snapdir, "vm.mem"), "backend_type": "File"},
            "resume_vm": True}
    body.update(extra)
    return body


# ---- 1. the original: a disk, a user-mode NIC, waiting for a generation ID change ----
disk = os.path.join(tmp, "disk.img")
with open(disk, "wb") as f:
    f.truncate(DISK_SIZE)
snap = os.path.join(tmp, "snap")
sock = os.path.join(tmp, "src.sock")
after_restore = "netmac,blkwrite:0:64:8:9,blkverify:0:64:8:9,blkverify:0:0:8:7"
src = h.Vm("--disk", f"path={disk}", "--net", "user", "--api-sock", sock,
           cmdline=f"console=ttyS0 run=blkwrite:0:0:8:7,net,vmgenid,vmgenwait:600,{after_restore}")
if not h.check(src.expect(r"^vmgenwait=armed", timeout=120) is not None, "the original waits for a change"):
    src.dump()
    src.kill()
    h.finish()
vals = src.values()
h.check(vals.get("vmgenid.reserved") == "1" and vals.get("vmgenid.addr", "").startswith("0x"),
        f"the generation ID sits in e820-reserved memory at {vals.get('vmgenid.addr')}")
h.check(vals.get("vmgenwait.gsi") == "10", f"the GED notifies it on GSI 10 ({vals.get('vmgenwait.gsi')})")
g0 = genids(src)
h.check(len(g0) == 2 and g0[0] == g0[1], f"the original has one generation ID ({g0})")
mac0 = vals.get("net.0.mac")
h.check(vals.get("blkwrite.ok") == "1", "the original wrote its disk")

status, out, err = h.run_vessel(["snapshot", "--api-sock", sock, snap], timeout=120)
h.check(status == 0, f"vessel snapshot: status 0 ({err.strip()})")
# The original goes on (resumed) and sees no change: it is not a clone.
st, _ = curl(sock, "PATCH", "/vm", {"state": "Resumed"})
h.check(st == 204, "the original resumes")
time.sleep(2)
h.check("vmgenwait.changed" not in src.text, "the original sees no generation change")
src.kill()
disk_sha = sha(disk)

# ---- 2. two clones at once, each with its own disk copy and MAC ----
copy_a, copy_b = os.path.join(tmp, "a.img"), os.path.join(tmp, "b.img")
shutil.copyfile(disk, copy_a)
shutil.copyfile(disk, copy_b)
clone_a = h.Vm("--restore", snap, "--disk-override", f"disk0={copy_a}",
               "--net-override", f"net0=mac={MAC_A}", kernel=None)
bsock = os.path.join(tmp, "b.sock")
clone_b = h.Vm("--api-sock", bsock, kernel=None)
h.check(wait_sock(bsock), "clone B's API socket appears")
st, raw = curl(bsock, "PUT", "/snapshot/load", load_body(
    snap, drive_overrides=[{"drive_id": "disk0", "path_on_host": copy_b}],
    network_overrides=[{"iface_id": "net0", "guest_mac": MAC_B}]))
h.check(st == 204, f"snapshot/load with overrides: 204 ({st} {raw})")

ids = {}
for name, c, mac in (("clone A (--restore)", clone_a, MAC_A), ("clone B (API)", clone_b, MAC_B)):
    done = c.expect(r"^blkverify\.ok=\d[\s\S]*^blkverify\.ok=\d", timeout=120) is not None
    v = c.values()
    g = genids(c)
    h.check(done and "vmgenwait.changed=1" in c.text, f"{name}: the GED notified the generation ID change")
    h.check(len(g) == 1 and g[0] not in g0, f"{name}: a new generation ID ({g[:1]} vs the original's {g0[:1]})")
    ids[name] = g[0] if g else None
    h.check(v.get("netmac") == mac and mac != mac0, f"{name}: the guest reads its MAC {mac} ({v.get('netmac')})")
    h.check(v.get("netmac.config_changed") == "1", f"{name}: the NIC signalled a config change")
    h.check(c.text.count("blkverify.ok=1") == 2,
            f"{name}: its disk has what the original wrote and takes new writes")
    if not done:
        c.dump()
h.check(None not in ids.values() and len(set(ids.values())) == 2, f"the clones' IDs differ ({ids})")
clone_a.kill()
clone_b.kill()
h.check(sha(disk) == disk_sha, "the original disk image is untouched")
h.check(sha(copy_a) != disk_sha and sha(copy_b) != disk_sha, "each clone wrote its own copy")

# A plain restore is a clone too: a new generation ID, the snapshot's MAC.
plain = h.Vm("--restore", snap, kernel=None)
plain.expect(r"^netmac\.config_changed=\d", timeout=120)
g = genids(plain)
h.check("vmgenwait.changed=1" in plain.text and len(g) == 1 and g[0] not in g0 and g[0] not in ids.values(),
        f"a restore without overrides gets its own generation ID ({g})")
h.check(plain.values().get("netmac") == mac0 and plain.values().get("netmac.config_changed") == "0",
        "without a MAC override the NIC keeps its MAC and signals nothing")
plain.kill()


# ---- 3. bad overrides: one clear line, nothing loaded ----
def restore_fails(args, want_status, want, what):
    status, out, err = h.run_vessel(["restore", snap] + args, timeout=60)
    # A usage error adds the "Try 'vessel run --help'." hint.
    lines = [l for l in err.splitlines() if l.strip() and not l.startswith("vessel: note:") and
             not l.startswith("Try 'vessel")]
    h.check(status == want_status and len(lines) == 1 and re.search(want, lines[0]) is not None,
            f"{what}: status {want_status}, one line matching /{want}/ (got {status}: {lines})")


small = os.path.join(tmp, "small.img")
with open(small, "wb") as f:
    f.truncate(DISK_SIZE - 4096)
restore_fails(["--disk-override", f"disk9={copy_a}"], h.STATUS_ERROR, r"disk9.*no such drive", "an unknown drive")
restore_fails(["--disk-override", f"disk0={small}"], h.STATUS_ERROR, r"same size", "a disk of the wrong size")
restore_fails(["--disk-override", f"disk0={tmp}/missing.img"], h.STATUS_ERROR, r"missing\.img",
              "a missing disk image")
restore_fails(["--net-override", "eth7=mac=52:54:00:00:00:07"], h.STATUS_ERROR, r"eth7.*no such interface",
              "an unknown interface")
restore_fails(["--net-override", "net0=tap=tap77"], h.STATUS_ERROR, r"user-mode", "a TAP for user networking")
restore_fails(["--disk-override", f"disk0={copy_a}", "--net-override", "net9=mac=52:54:00:00:00:09"],
              h.STATUS_ERROR, r"net9", "a good and a bad override together")
restore_fails(["--net-override", "net0=mac=01:00:5e:00:00:01"], h.STATUS_USAGE, r"unicast",
              "a multicast MAC (a malformed option)")
restore_fails(["--net-override", "net0=mac=52:54:00"], h.STATUS_USAGE, r"mac", "a malformed MAC")
restore_fails(["--disk-override", "disk0"], h.STATUS_USAGE, r"ID=PATH", "a disk override without a path")
status, _, err = h.run_vessel(["run", "--kernel", h.GUEST, "--disk-override", f"disk0={copy_a}"])
h.check(status == h.STATUS_USAGE and "--restore" in err, "overrides without --restore: usage error, status 2")

wsock = os.path.join(tmp, "w.sock")
waiting = h.Vm("--api-sock", wsock, kernel=None)
h.check(wait_sock(wsock), "the waiting VMM's API socket appears")
for body, want, what in (
        (load_body(snap, drive_overrides=[{"drive_id": "nosuch", "path_on_host": copy_a}]), "no such drive",
         "an unknown drive"),
        (load_body(snap, drive_overrides=[{"drive_id": "disk0", "path_on_host": small}]), "same size",
         "a disk of the wrong size"),
        (load_body(snap, network_overrides=[{"iface_id": "net0", "guest_mac": "ff:ff:ff:ff:ff:ff"}]), "guest_mac",
         "a broadcast MAC"),
        (load_body(snap, network_overrides=[{"iface_id": "net0", "host_dev_name": "tap5"}]), "user-mode",
         "a TAP for user networking"),
        (load_body(snap, network_overrides=[{"iface_id": "net0"}]), "MAC",
         "an override that overrides nothing"),
        (load_body(snap, network_overrides=[{"iface_id": "net0", "guest_mac": MAC_A, "mtu": 9000}]), "mtu",
         "an unknown field"),
        (load_body(snap, drive_overrides={"drive_id": "disk0"}), "array", "overrides that are not a list")):
    st, raw = curl(wsock, "PUT", "/snapshot/load", body)
    h.check(st == 400 and want in raw, f"snapshot/load with {what}: 400 naming '{want}' ({st} {raw})")
st, raw = curl(wsock, "GET", "/")
h.check(st == 200 and "Not started" in raw, "after refused loads nothing runs, the VMM waits on")
st, raw = curl(wsock, "PUT", "/snapshot/load", load_body(
    snap, drive_overrides=[{"drive_id": "disk0", "path_on_host": copy_a}]))
h.check(st == 204, f"then a good load works: 204 ({st} {raw})")
h.check(waiting.expect(r"^netmac\.config_changed=\d", timeout=120) is not None and
        "vmgenwait.changed=1" in waiting.text, "and that clone runs")
waiting.kill()

# ---- 4. a drive configured through the API keeps its drive_id as the override's ID ----
asock, asnap = os.path.join(tmp, "api.sock"), os.path.join(tmp, "asnap")
api_vm = h.Vm("--api-sock", asock, kernel=None)
h.check(wait_sock(asock), "the API-configured VM's socket appears")
for path, body in (("/boot-source", {"kernel_image_path": h.GUEST,
                                     "boot_args": "console=ttyS0 run=vmgenwait:600,blkverify:0:0:8:7"}),
                   ("/drives/rootfs", {"drive_id": "rootfs", "path_on_host": disk, "is_root_device": True,
                                       "is_read_only": False}),
                   ("/actions", {"action_type": "InstanceStart"})):
    st, raw = curl(asock, "PUT", path, body)
    h.check(st == 204, f"PUT {path}: 204 ({st} {raw})")
if h.check(api_vm.expect(r"^vmgenwait=armed", timeout=120) is not None, "the API-configured guest waits"):
    status, _, err = h.run_vessel(["snapshot", "--api-sock", asock, asnap], timeout=120)
    h.check(status == 0, f"snapshot of the API-configured VM ({err.strip()})")
    api_vm.kill()
    status, _, err = h.run_vessel(["restore", asnap, "--disk-override", f"disk0={copy_a}"], timeout=60)
    h.check(status == h.STATUS_ERROR and "no such drive" in err,
            f"'disk0' does not name a drive the API called 'rootfs' (status {status}: {err.strip()})")
    shutil.copyfile(disk, copy_a)
    rc = h.Vm("--restore", asnap, "--disk-override", f"rootfs={copy_a}", kernel=None)
    h.check(rc.expect(r"^blkverify\.ok=\d", timeout=120) is not None and "blkverify.ok=1" in rc.text and
            "vmgenwait.changed=1" in rc.text, "--disk-override rootfs=... restores the clone on its copy")
    rc.kill()
else:
    api_vm.dump()
api_vm.kill()

# ---- 5. with root: a TAP override gives the clone its own TAP interface ----
NS = f"vessel-c{os.getpid() % 100000}"
if os.geteuid() != 0 or not shutil.which("ip") or not os.path.exists("/dev/net/tun"):
    print("  skip: the TAP override needs root, iproute2 and /dev/net/tun")
    shutil.rmtree(tmp, ignore_errors=True)
    h.finish("clones get their own generation ID, MAC and disk (TAP part skipped)")


def ns(*cmd):
    return subprocess.run(["ip", "netns", "exec", NS] + list(cmd), capture_output=True, text=True)


subprocess.run(["ip", "netns", "add", NS], check=True)
try:
    prefix = ["ip", "netns", "exec", NS]
    tsnap = os.path.join(tmp, "tsnap")
    tsock = os.path.join(tmp, "t.sock")
    tsrc = h.Vm("--net", "tap=vctap0", "--api-sock", tsock, prefix=prefix,
                cmdline="console=ttyS0 run=net,vmgenwait:600,netmac")
    if h.check(tsrc.expect(r"^vmgenwait=armed", timeout=120) is not None, "a guest on TAP waits"):
        status, _, err = h.run_vessel(["snapshot", "--api-sock", tsock, tsnap], timeout=120)
        h.check(status == 0, f"snapshot of the TAP guest ({err.strip()})")
        tclone = h.Vm("--restore", tsnap, "--net-override", "net0=tap=vctap1,mac=52:54:00:00:0c:01",
                      kernel=None, prefix=prefix)
        h.check(tclone.expect(r"^netmac\.config_changed=\d", timeout=120) is not None and
                tclone.values().get("netmac") == "52:54:00:00:0c:01", "the TAP clone reads its new MAC")
        h.check(ns("ip", "link", "show", "vctap1").returncode == 0, "the clone runs on its own TAP interface")
        tclone.kill()
    else:
        tsrc.dump()
    tsrc.kill()
finally:
    subprocess.run(["ip", "netns", "del", NS])
shutil.rmtree(tmp, ignore_errors=True)
h.finish()
