#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""virtio-balloon (--balloon, the API's /balloon): the test guest fills a
64 MiB pool and runs its balloon driver over it (balloon:MiB:ms:count).
PATCH /balloon amount_mib=48: the guest inflates, GET /balloon shows it,
and vessel's RSS drops by about 48 MiB; the guest's statistics arrive
(only the ones it reports); deflated back to 0, the guest writes those
pages again, RSS comes back and every page of the pool checks out. Free
page reporting gives a reported range back the same way. Bad API and
command-line input gets 400 / status 2 with a message; a driver that sends
PFNs outside RAM, a device-writable buffer or half a PFN gets NEEDS_RESET
and the device works after a reset. An inflated balloon survives a
snapshot/restore and a live migration (target and actual, and the guest
goes on deflating). `vessel balloon NAME MIB` sets the target of a VM of
the manager. With guest RAM on 2 MiB huge pages (root), the huge pages
wholly in the balloon go back to the host."""
import os
import re
import shutil
import socket
import tempfile
import time

import harness as h
import manager_harness as mh

h.require_kvm()
if not shutil.which("curl"):
    h.skip("curl is missing (scripts/setup-deps installs it)")

tmp = tempfile.mkdtemp(prefix="vessel-balloon-")
MIB = 1 << 20
VMS = []


def vm_start(*args, **kw):
    vm = h.Vm(*args, **kw)
    VMS.append(vm)
    return vm


def api(sock, method, path, body=None):
    status, data, raw = h.curl(sock, method, path, body, timeout=30)
    return status, data, raw


def wait_sock(sock, timeout=10):
    deadline = time.monotonic() + timeout
    while not os.path.exists(sock) and time.monotonic() < deadline:
        time.sleep(0.05)
    return os.path.exists(sock)


def rss(vm):
    """vessel's resident memory in bytes."""
    with open(f"/proc/{vm.proc.pid}/status") as f:
        m = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M)
    return int(m.group(1)) * 1024


def wait_actual(sock, mib, timeout=30):
    """Polls GET /balloon until actual_mib is mib; the last body."""
    deadline = time.monotonic() + timeout
    data = None
    while time.monotonic() < deadline:
        status, data, _ = api(sock, "GET", "/balloon")
        if status == 200 and data and data.get("actual_mib") == mib:
            return data
        time.sleep(0.1)
    return data


def bad_request(sock, method, path, body, what, want_msg=None):
    status, data, raw = api(sock, method, path, body)
    msg = (data or {}).get("fault_message", "")
    h.check(status == 400 and msg and (want_msg is None or want_msg in msg),
            f"{what}: 400 with a fault_message{' about ' + repr(want_msg) if want_msg else ''} "
            f"(got {status} {raw})")


# ---- 1. inflate, watch the host take the memory back, statistics, deflate ----
sock = os.path.join(tmp, "main.sock")
vm = vm_start("--balloon", "stats=1", "--api-sock", sock, memory="256M",
              cmdline="console=ttyS0 run=balloon:64:200:150,poweroff")
if not h.check(vm.expect(r"^balloon\.stats_free=\d+", timeout=120) is not None, "the guest filled its 64 MiB pool"):
    vm.dump()
    vm.kill()
    h.finish()
vals = vm.values()
h.check(int(vals.get("balloon.features", "0"), 16) & 0x2, "the guest negotiated the statistics queue")
stats_total = int(vals.get("balloon.stats_total", "0"))
status, data, raw = api(sock, "GET", "/balloon")
h.check(status == 200 and data == {"amount_mib": 0, "deflate_on_oom": False, "stats_polling_interval_s": 1,
                                   "free_page_reporting": False, "target_pages": 0, "actual_pages": 0,
                                   "target_mib": 0, "actual_mib": 0},
        f"GET /balloon before inflating: target 0, actual 0 ({raw})")
time.sleep(0.5)
rss_full = rss(vm)
status, _, raw = api(sock, "PATCH", "/balloon", {"amount_mib": 48})
h.check(status == 204, f"PATCH /balloon amount_mib=48: 204 ({status} {raw})")
data = wait_actual(sock, 48)
h.check(data is not None and data.get("actual_mib") == 48 and data.get("target_mib") == 48 and
        data.get("actual_pages") == 48 * 256 and data.get("amount_mib") == 48,
        f"GET /balloon: target and actual 48 MiB ({data})")
h.check(vm.expect(r"^balloon=\d+ target_pages=12288 actual=12288", timeout=10) is not None,
        "the guest says it holds 12288 pages in the balloon")
rss_inflated = rss(vm)
drop = (rss_full - rss_inflated) / MIB
h.check(40 <= drop <= 60, f"vessel's RSS dropped by about 48 MiB: {drop:.1f} MiB "
        f"({rss_full // MIB} -> {rss_inflated // MIB} MiB)")

# Statistics: every second the device asks; the guest's total shrinks by what it gave up.
deadline = time.monotonic() + 15
stats = None
while time.monotonic() < deadline:
    status, stats, raw = api(sock, "GET", "/balloon/statistics")
    if status == 200 and stats and stats.get("total_memory") == stats_total - 48 * MIB:
        break
    time.sleep(0.2)
h.check(stats is not None and stats.get("total_memory") == stats_total - 48 * MIB,
        f"statistics refreshed: total_memory {stats_total} - 48 MiB ({stats})")
reported = {"swap_in", "swap_out", "free_memory", "total_memory", "available_memory"}
h.check(stats is not None and reported <= set(stats) and
        not {"major_faults", "minor_faults", "disk_caches", "hugetlb_allocations", "hugetlb_failures"} & set(stats),
        f"only the statistics the guest reported are there ({sorted(stats or {})})")
h.check(stats is not None and stats.get("actual_mib") == 48 and stats.get("target_pages") == 12288,
        "statistics carry target and actual")
status, _, _ = api(sock, "PATCH", "/balloon/statistics", {"stats_polling_interval_s": 2})
h.check(status == 204, "PATCH /balloon/statistics interval 2: 204")
status, data, _ = api(sock, "GET", "/balloon")
h.check(status == 200 and data.get("stats_polling_interval_s") == 2, "GET /balloon shows the new interval")

# Bad input on a running VM.
bad_request(sock, "PATCH", "/balloon", {"amount_mib": -1}, "negative amount_mib", "amount_mib")
bad_request(sock, "PATCH", "/balloon", {"amount_mib": 257}, "amount_mib beyond the VM's 256 MiB", "256 MiB")
bad_request(sock, "PATCH", "/balloon", {"amount_mib": 10, "colour": 1}, "an unknown field", "colour")
bad_request(sock, "PATCH", "/balloon", {"amount_mib": "10"}, "amount_mib as a string", "integer")
bad_request(sock, "PATCH", "/balloon", {}, "no amount_mib", "amount_mib")
bad_request(sock, "PATCH", "/balloon", "{nope", "invalid JSON", "JSON")
bad_request(sock, "PUT", "/balloon", {"amount_mib": 1, "deflate_on_oom": False}, "PUT /balloon after boot",
            "after starting")
bad_request(sock, "PATCH", "/balloon/statistics", {"stats_polling_interval_s": 0},
            "turning statistics off", "statistics")
bad_request(sock, "PATCH", "/balloon/statistics", {"stats_polling_interval_s": 70000},
            "an interval beyond 65535 s", "65535")
status, data, _ = api(sock, "GET", "/balloon")
h.check(status == 200 and data.get("target_mib") == 48, "after the bad requests the target is still 48 MiB")

# Back to 0: the guest deflates, writes the pages again, and the host gives them back.
status, _, _ = api(sock, "PATCH", "/balloon", {"amount_mib": 0})
h.check(status == 204, "PATCH /balloon amount_mib=0: 204")
data = wait_actual(sock, 0)
h.check(data is not None and data.get("actual_mib") == 0, f"the guest deflated to 0 ({data})")
h.check(vm.expect(r"^balloon=\d+ target_pages=0 actual=0", timeout=10) is not None, "the guest says actual=0")
time.sleep(0.5)
rise = (rss(vm) - rss_inflated) / MIB
h.check(rise >= 40, f"the guest uses the deflated memory again: RSS up {rise:.1f} MiB")
done = vm.expect(r"^balloon\.ok=\d", timeout=120) is not None
vals = vm.values()
h.check(done and vals.get("balloon.verify") == "ok" and vals.get("balloon.ok") == "1",
        "every page outside the balloon kept its pattern, the deflated ones their new one (balloon.ok=1)")
h.check(int(vals.get("balloon.stats_requests", "0")) >= 2, "the device asked for statistics more than once")
status = vm.wait(60)
h.check(status == h.STATUS_POWEROFF, f"the guest powers off: status 0 (got {status})")
if not done:
    vm.dump()

# ---- 2. free page reporting ----
rvm = vm_start("--balloon", "free_page_reporting=on", memory="256M",
               cmdline="console=ttyS0 run=balloonreport:64:2000,poweroff")
if h.check(rvm.expect(r"^balloonreport\.filled_mib=64", timeout=120) is not None, "the guest filled 64 MiB"):
    time.sleep(0.3)
    rss_filled = rss(rvm)
    h.check(rvm.expect(r"^balloonreport\.reported_mib=64", timeout=30) is not None, "the guest reported 64 MiB")
    time.sleep(0.3)
    rss_reported = rss(rvm)
    rvm.expect(r"^balloonreport\.verify=", timeout=30)
    time.sleep(0.3)
    rss_again = rss(rvm)
    drop, rise = (rss_filled - rss_reported) / MIB, (rss_again - rss_reported) / MIB
    h.check(56 <= drop <= 72, f"reported pages went back to the host: RSS dropped {drop:.1f} MiB")
    h.check(rise >= 56, f"the guest uses them again: RSS rose {rise:.1f} MiB")
    vals = rvm.values()
    h.check(vals.get("balloonreport.zero_pages") == str(64 * 256), "reported pages read as zeros afterwards")
    h.check(vals.get("balloonreport.chunks") == "32", "32 ranges of 2 MiB reported")
h.check(rvm.expect(r"^balloonreport\.ok=1", timeout=60) is not None, "balloonreport.ok=1")
h.check(rvm.wait(60) == h.STATUS_POWEROFF, "the reporting guest powers off")
if rvm.status != h.STATUS_POWEROFF:
    rvm.dump()

# ---- 3. a driver that misbehaves ----
cases = ("oob", "hole", "writable", "odd")
bvm = vm_start("--balloon", memory="256M",
               cmdline="console=ttyS0 run=" + ",".join(f"balloonbad:{c}" for c in cases) +
               ",balloonreport:4:0,poweroff")
status = bvm.wait(120)
vals = bvm.values()
for c in cases:
    st = int(vals.get(f"balloonbad.{c}.status", "0"), 16)
    h.check(st & 0x40 and vals.get(f"balloonbad.{c}.used") == "0" and vals.get(f"balloonbad.{c}.recovered") == "1",
            f"balloonbad:{c}: NEEDS_RESET, not completed, works again after a reset "
            f"(status {vals.get(f'balloonbad.{c}.status')}, used {vals.get(f'balloonbad.{c}.used')}, "
            f"recovered {vals.get(f'balloonbad.{c}.recovered')})")
h.check(vals.get("balloonreport.error") == "free page reporting not offered",
        "without free_page_reporting=on the device does not offer it")
h.check(status == h.STATUS_POWEROFF, f"vessel kept running the misbehaving guest to its power-off (got {status})")
h.check(len(bvm.err.decode().splitlines()) < 20, "the device's complaints are few lines, not a flood")
if status != h.STATUS_POWEROFF:
    bvm.dump()

# ---- 4. bad input: before boot, without a balloon, on the command line ----
psock = os.path.join(tmp, "pre.sock")
pvm = vm_start("--api-sock", psock, kernel=None)
if h.check(wait_sock(psock), "an API-only vessel listens"):
    bad_request(psock, "GET", "/balloon", None, "GET /balloon with none configured", "No balloon")
    bad_request(psock, "PATCH", "/balloon", {"amount_mib": 8}, "PATCH /balloon before boot", "before starting")
    bad_request(psock, "GET", "/balloon/statistics", None, "GET /balloon/statistics before boot", "before starting")
    bad_request(psock, "PUT", "/balloon", {"amount_mib": 300, "deflate_on_oom": True},
                "PUT amount_mib beyond the default 256 MiB", "256 MiB")
    bad_request(psock, "PUT", "/balloon", {"amount_mib": 8}, "PUT without deflate_on_oom", "deflate_on_oom")
    bad_request(psock, "PUT", "/balloon", {"amount_mib": 8, "deflate_on_oom": True, "free_page_hinting": True},
                "PUT with a field vessel does not have", "free_page_hinting")
    status, _, raw = api(psock, "PUT", "/balloon", {"amount_mib": 8, "deflate_on_oom": True,
                                                    "stats_polling_interval_s": 5, "free_page_reporting": True})
    h.check(status == 204, f"PUT /balloon before boot: 204 ({raw})")
    status, data, raw = api(psock, "GET", "/balloon")
    h.check(status == 200 and data == {"amount_mib": 8, "deflate_on_oom": True, "stats_polling_interval_s": 5,
                                       "free_page_reporting": True}, f"GET /balloon before boot: the config ({raw})")
    status, data, raw = api(psock, "GET", "/vm/config")
    h.check(status == 200 and (data or {}).get("balloon", {}).get("amount_mib") == 8,
            "GET /vm/config has the balloon")
pvm.kill()

nsock = os.path.join(tmp, "none.sock")
nvm = vm_start("--api-sock", nsock, cmdline="console=ttyS0 run=tick:1000:60")
if h.check(nvm.expect(r"^tick=1 ", timeout=60) is not None, "a VM without a balloon runs"):
    bad_request(nsock, "PATCH", "/balloon", {"amount_mib": 8}, "PATCH /balloon without a balloon", "No balloon")
    bad_request(nsock, "GET", "/balloon/statistics", None, "statistics without a balloon", "No balloon")
nvm.kill()

for args, want in ((["--balloon", "size=300"], "more than the guest's 256 MiB"),
                   (["--balloon", "size=8,colour=red"], "unknown key 'colour'"),
                   (["--balloon=stats=x"], "stats='x'"),
                   (["--balloon", "--balloon"], "one balloon"),
                   (["--balloon", "size=1.5M"], "whole number of MiB")):
    status, out, err = h.run_vessel(["run", "--kernel", h.GUEST] + args)
    h.check(status == h.STATUS_USAGE and want in err, f"vessel run {' '.join(args)}: status 2, '{want}' "
            f"(got {status}: {err.strip()!r})")

# ---- 5. snapshot and restore with the balloon inflated ----
snap = os.path.join(tmp, "snap")
ssock = os.path.join(tmp, "snap-src.sock")
src = vm_start("--balloon", "stats=1", "--api-sock", ssock, memory="256M",
               cmdline="console=ttyS0 run=balloon:32:200:150,poweroff")
if h.check(src.expect(r"^balloon\.pool_mib=32", timeout=120) is not None, "snapshot source: pool filled"):
    api(ssock, "PATCH", "/balloon", {"amount_mib": 16})
    h.check((wait_actual(ssock, 16) or {}).get("actual_mib") == 16, "snapshot source inflated to 16 MiB")
    api(ssock, "PATCH", "/vm", {"state": "Paused"})
    os.makedirs(snap, exist_ok=True)
    status, _, raw = api(ssock, "PUT", "/snapshot/create",
                         {"snapshot_type": "Full", "snapshot_path": os.path.join(snap, "vm.state"),
                          "mem_file_path": os.path.join(snap, "vm.mem")})
    h.check(status == 204, f"snapshot of the ballooned VM: 204 ({raw})")
    src.kill()
    dsock = os.path.join(tmp, "snap-dst.sock")
    dst = vm_start("--restore", snap, "--api-sock", dsock, kernel=None)
    if h.check(wait_sock(dsock), "the restored VM serves its API"):
        status, data, raw = api(dsock, "GET", "/balloon")
        h.check(status == 200 and data.get("target_mib") == 16 and data.get("actual_mib") == 16 and
                data.get("stats_polling_interval_s") == 1,
                f"the restored VM's GET /balloon matches: target and actual 16 MiB ({raw})")
        status, _, _ = api(dsock, "PATCH", "/balloon", {"amount_mib": 0})
        h.check(status == 204, "PATCH the restored balloon to 0: 204")
        h.check((wait_actual(dsock, 0) or {}).get("actual_mib") == 0, "the restored guest deflates")
        h.check(dst.expect(r"^balloon\.ok=\d", timeout=120) is not None and dst.values().get("balloon.ok") == "1",
                "the restored guest goes on: its pool checks out (balloon.ok=1)")
        h.check(int(dst.values().get("balloon.stats_requests", "0")) >= 1,
                "statistics are polled after the restore")
    if dst.values().get("balloon.ok") != "1":
        dst.dump()
    dst.kill()
else:
    src.dump()
    src.kill()

# ---- 6. live migration with the balloon inflated (one host, loopback) ----
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
msock = os.path.join(tmp, "mig-src.sock")
mdsock = os.path.join(tmp, "mig-dst.sock")
msrc = vm_start("--balloon", "--api-sock", msock, memory="256M",
                cmdline="console=ttyS0 run=balloon:32:200:150,poweroff")
mdst = vm_start("--incoming", f"tcp://127.0.0.1:{port}", "--api-sock", mdsock, kernel=None)
if h.check(msrc.expect(r"^balloon\.pool_mib=32", timeout=120) is not None, "migration source: pool filled"):
    api(msock, "PATCH", "/balloon", {"amount_mib": 24})
    h.check((wait_actual(msock, 24) or {}).get("actual_mib") == 24, "migration source inflated to 24 MiB")
    status, _, raw = api(msock, "PUT", "/vessel/migrate", {"destination": f"tcp://127.0.0.1:{port}"})
    h.check(status == 204, f"PUT /vessel/migrate: 204 ({raw})")
    deadline = time.monotonic() + 60
    mstate = None
    while time.monotonic() < deadline:
        status, mstate, _ = api(msock, "GET", "/vessel/migrate")
        if status != 200 or (mstate or {}).get("state") in ("completed", "failed"):
            break
        time.sleep(0.2)
    h.check((mstate or {}).get("state") in (None, "completed") or status != 200,
            f"the migration completed ({mstate})")
    if h.check(wait_sock(mdsock, 30), "the destination serves its API"):
        data = wait_actual(mdsock, 24, timeout=30)
        h.check((data or {}).get("target_mib") == 24 and (data or {}).get("actual_mib") == 24,
                f"the destination's balloon: target and actual 24 MiB ({data})")
        api(mdsock, "PATCH", "/balloon", {"amount_mib": 0})
        h.check((wait_actual(mdsock, 0) or {}).get("actual_mib") == 0, "the migrated guest deflates")
        h.check(mdst.expect(r"^balloon\.ok=\d", timeout=120) is not None and mdst.values().get("balloon.ok") == "1",
                "the migrated guest's pool checks out (balloon.ok=1)")
    if mdst.values().get("balloon.ok") != "1":
        msrc.dump()
        mdst.dump()
for v in VMS:
    v.kill()

# ---- 7. the manager: vessel balloon NAME MIB, through the daemon ----
d = mh.Daemon()
if h.check(d.start(), "vessel daemon serves its socket"):
    status, _, err = d.vessel("create", "bal", *mh.guest_args(["balloon:16:200:300"], memory="64M",
                                                               extra=["--balloon", "size=4"]))
    h.check(status == 0, f"vessel create with --balloon: status 0 ({err.strip()})")
    status, _, err = d.vessel("start", "bal")
    h.check(status == 0, f"vessel start: status 0 ({err.strip()})")
    api_sock = os.path.join(d.vm_dir("bal"), "api.sock")
    h.check((wait_actual(api_sock, 4, timeout=60) or {}).get("actual_mib") == 4,
            "the managed VM's guest inflated to its boot target, 4 MiB")
    status, out, err = d.vessel("balloon", "bal", "12")
    h.check(status == 0 and "12 MiB" in out, f"vessel balloon bal 12: status 0 ({out.strip()} {err.strip()})")
    h.check((wait_actual(api_sock, 12) or {}).get("actual_mib") == 12, "the managed VM's guest inflated to 12 MiB")
    status, out, err = d.vessel("balloon", "bal", "100")
    h.check(status == 1 and "64 MiB" in err, f"vessel balloon bal 100 (more than 64 MiB): status 1 ({err.strip()})")
    status, out, err = d.vessel("balloon", "nosuch", "1")
    h.check(status == 1 and "nosuch" in err, f"vessel balloon for no such VM: status 1 ({err.strip()})")
    status, out, err = d.vessel("balloon", "bal", "lots")
    h.check(status == 2, f"vessel balloon bal lots: status 2 ({err.strip()})")
    status, out, err = h.run_vessel(["balloon", "--api-sock", api_sock, "2"])
    h.check(status == 0, f"vessel balloon --api-sock PATH 2: status 0 ({err.strip()})")
    h.check((wait_actual(api_sock, 2) or {}).get("actual_mib") == 2, "the guest deflated to 2 MiB")
    if h._failures:
        print("---- daemon log ----\n" + d.log()[-3000:])
d.cleanup()


# ---- 8. guest RAM on 2 MiB huge pages: whole huge pages go back ----
def hugetlb_bytes(vm):
    with open(f"/proc/{vm.proc.pid}/status") as f:
        m = re.search(r"^HugetlbPages:\s+(\d+) kB", f.read(), re.M)
    return int(m.group(1)) * 1024 if m else None


HUGE = "/sys/kernel/mm/hugepages/hugepages-2048kB/"
if os.geteuid() != 0 or not os.path.exists(HUGE):
    print("SKIP: balloon on huge pages: needs root and 2 MiB huge pages to reserve", flush=True)
else:
    with open(HUGE + "nr_hugepages") as f:
        saved = int(f.read())
    try:
        with open(HUGE + "nr_hugepages", "w") as f:
            f.write(str(saved + 72))
        with open(HUGE + "free_hugepages") as f:
            free = int(f.read())
        if free < 72:
            print("SKIP: balloon on huge pages: the host could not reserve 72 of them", flush=True)
        else:
            hsock = os.path.join(tmp, "huge.sock")
            hvm = vm_start("--balloon", "--api-sock", hsock, memory="128M,hugepages=on",
                           cmdline="console=ttyS0 run=balloon:32:200:100,poweroff")
            if h.check(hvm.expect(r"^balloon\.pool_mib=32", timeout=120) is not None, "huge pages: pool filled"):
                before = hugetlb_bytes(hvm)
                api(hsock, "PATCH", "/balloon", {"amount_mib": 16})
                h.check((wait_actual(hsock, 16) or {}).get("actual_mib") == 16, "huge pages: inflated to 16 MiB")
                after = hugetlb_bytes(hvm)
                h.check(before is not None and after is not None and before - after == 16 * MIB,
                        f"huge pages: the 8 huge pages wholly in the balloon went back ({before} -> {after})")
                api(hsock, "PATCH", "/balloon", {"amount_mib": 0})
                h.check((wait_actual(hsock, 0) or {}).get("actual_mib") == 0, "huge pages: deflated")
                time.sleep(0.5)
                h.check(hugetlb_bytes(hvm) == before, "huge pages: the guest uses them again")
                h.check(hvm.expect(r"^balloon\.ok=\d", timeout=120) is not None and
                        hvm.values().get("balloon.ok") == "1", "huge pages: the pool checks out")
            if hvm.values().get("balloon.ok") != "1":
                hvm.dump()
            hvm.kill()
            hvm.wait(10)
    finally:
        with open(HUGE + "nr_hugepages", "w") as f:
            f.write(str(saved))
shutil.rmtree(tmp, ignore_errors=True)
h.finish()
