#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The manager's snapshot and migrate verbs: `vessel snapshot NAME DIR`
pauses the VM (ls follows) and writes the snapshot, --resume lets it go on;
`vessel create NEW --restore DIR` defines a VM from it whose guest goes on
counting with its memory intact; `vessel migrate NAME tcp://...` moves a VM
to another VM of the same manager started with --incoming (on 127.0.0.1),
after which the source is recorded as migrated and not restarted, even with
--restart always. A migration to nowhere leaves the VM running. Bad
requests get 4xx JSON answers."""
import os
import re
import socket
import time

import harness as h
import manager_harness as m

d = m.started_daemon()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def last_tick(con):
    found = re.findall(r"^memtick=(\d+) ", con.text, re.M)
    return int(found[-1]) if found else 0


def counting_on(con, what, after=None, timeout=30):
    """The guest prints the next memtick lines, its memory check passing."""
    n0 = last_tick(con) if after is None else after
    ok = con.expect(f"memtick={n0 + 2} ", timeout)
    h.check(ok and "memtick.mismatch" not in con.text, f"{what}: the guest goes on counting past {n0}, memory intact")


try:
    snaps = os.path.join(d.tmp, "snaps")
    os.makedirs(snaps)
    st, out, err = d.vessel("create", "src", "--restart", "always",
                            *m.guest_args(["memtick:8:200:100000"], memory="64M"))
    h.check(st == 0, f"create src (status {st}, {err.strip()})")
    st, out, err = d.vessel("start", "src")
    h.check(st == 0, f"start src (status {st}, {err.strip()})")
    con = m.Console(os.path.join(d.vm_dir("src"), "console.sock"))
    h.check(con.expect("memtick=3 ", 60), "src counts (memtick)")

    # ---- snapshot NAME DIR: paused, files written ----
    snap1 = os.path.join(snaps, "one")
    st, out, err = d.vessel("snapshot", "src", snap1)
    h.check(st == 0 and out.strip() == snap1, f"snapshot src DIR exits 0 and prints DIR (status {st}, {out!r} {err.strip()})")
    h.check(os.path.getsize(os.path.join(snap1, "vm.mem")) == 64 << 20 and
            os.path.getsize(os.path.join(snap1, "vm.state")) > 0, "snapshot: vm.state and vm.mem (64 MiB) written")
    h.check((d.vm("src") or {}).get("state") == "paused", "snapshot: src is paused afterwards (no --resume)")
    st, out, err = d.vessel("ls")
    h.check(re.search(r"^src\s+paused\s", out, re.M) is not None, f"ls shows src paused ({out!r})")
    n_snap = last_tick(con)
    con.drain(1.0)
    h.check(last_tick(con) == n_snap, "snapshot: no tick while paused")
    st, out, err = d.vessel("resume", "src")
    h.check(st == 0, "resume src after the snapshot")
    counting_on(con, "resume after snapshot")

    # ---- snapshot --resume ----
    snap2 = os.path.join(snaps, "two")
    st, out, err = d.vessel("snapshot", "src", snap2, "--resume")
    h.check(st == 0, f"snapshot src DIR --resume exits 0 ({err.strip()})")
    h.check((d.vm("src") or {}).get("state") == "running", "snapshot --resume: src is running afterwards")
    counting_on(con, "snapshot --resume")

    # ---- bad snapshot requests ----
    st, out, err = d.vessel("snapshot", "nosuch", snap2)
    h.check(st == 1 and "no VM named 'nosuch'" in err, f"snapshot of an unknown VM: exit 1 ({err.strip()})")
    st, out, err = d.vessel("snapshot", "src")
    h.check(st == 2, "snapshot NAME without DIR: exit 2")
    for body, what in ((({"snapshot_dir": "rel/dir"}), "a relative snapshot_dir"),
                       ({"resume": True}, "no snapshot_dir"),
                       ({"snapshot_dir": snap2, "resume": "yes"}, "a non-boolean resume"),
                       ({"snapshot_dir": snap2, "bogus": 1}, "an unknown field"),
                       ({"snapshot_dir": 7}, "a snapshot_dir that is no string")):
        code, data, raw = d.curl("PUT", "/vms/src/snapshot", body)
        h.check(code == 400 and data and "fault_message" in data, f"PUT /vms/src/snapshot with {what}: 400 ({raw})")
    code, data, raw = d.curl("GET", "/vms/src/snapshot")
    h.check(code == 405, f"GET /vms/src/snapshot: 405 ({code})")
    code, data, raw = d.curl("PUT", "/vms/src/snapshot", {"snapshot_dir": os.path.join(snap1, "vm.mem")})
    h.check(code == 400 and "not a directory" in raw, f"a snapshot_dir that is a file: 400 ({raw})")

    # ---- create --restore DIR (a relative DIR), start: the guest goes on ----
    st, out, err = d.vessel("create", "clone", "--restore", os.path.relpath(snap2))
    h.check(st == 0, f"create clone --restore DIR (status {st}, {err.strip()})")
    clone = d.vm("clone") or {}
    args = clone.get("args") or ["", ""]
    h.check(args[0] == "--restore" and os.path.isabs(args[1]) and os.path.normpath(args[1]) == snap2,
            f"the definition holds the DIR made absolute ({args})")
    h.check(clone.get("mem_size_mib") == 64 and clone.get("vcpus") == 1,
            f"the clone's machine is the snapshot's: 64 MiB, 1 vCPU ({clone.get('mem_size_mib')}, {clone.get('vcpus')})")
    st, out, err = d.vessel("create", "broken", "--restore", os.path.join(d.tmp, "nosnap"))
    h.check(st == 1 and "nosnap/vm.state" in err, f"create --restore of a missing snapshot is refused ({err.strip()})")
    st, out, err = d.vessel("start", "clone")
    h.check(st == 0, f"start clone (status {st}, {err.strip()})")
    ccon = m.Console(os.path.join(d.vm_dir("clone"), "console.sock"))
    h.check(ccon.expect("memtick=", 30), "the clone prints memtick lines")
    ccon.drain(1.0)
    first = re.findall(r"^memtick=(\d+) ", ccon.text, re.M)
    h.check(first and "memtick.mismatch" not in ccon.text and "vessel-guest: boot" not in ccon.text,
            f"the clone goes on from the snapshot without booting, memory intact (from memtick={first[:1]})")
    st, out, err = d.vessel("kill", "clone")
    h.check(st == 0, "kill clone")

    # ---- migrate to nowhere: fails, src keeps running ----
    st, out, err = d.vessel("migrate", "src", f"tcp://127.0.0.1:{free_port()}")
    h.check(st == 1 and "migration failed" in out + err, f"migrate to a closed port: exit 1 ({err.strip()[-200:]})")
    h.check((d.vm("src") or {}).get("state") == "running", "after the failed migration src is running")
    counting_on(con, "failed migration")

    # ---- bad migrate requests ----
    for body, what in (({"destination": "udp://127.0.0.1:1"}, "a non-tcp destination"),
                       ({"destination": "tcp://127.0.0.1:1", "downtime_ms": 0}, "downtime_ms 0"),
                       ({"destination": "tcp://127.0.0.1:1", "max_rounds": -1}, "max_rounds -1"),
                       ({"downtime_ms": 10}, "no destination")):
        code, data, raw = d.curl("PUT", "/vms/src/migrate", body)
        h.check(code == 400 and data and "fault_message" in data, f"PUT /vms/src/migrate with {what}: 400 ({raw})")
    code, data, raw = d.curl("PUT", "/vms/clone/migrate", {"destination": "tcp://127.0.0.1:1"})
    h.check(code == 409, f"migrating a stopped VM: 409 ({raw})")
    code, data, raw = d.curl("GET", "/vms/clone/migrate")
    h.check(code == 404, f"GET /vms/clone/migrate without a migration: 404 ({raw})")
    code, data, raw = d.curl("DELETE", "/vms/src/migrate")
    h.check(code == 405, f"DELETE /vms/src/migrate: 405 ({code})")

    # ---- migrate NAME to another VM of the manager ----
    port = free_port()
    st, out, err = d.vessel("create", "dst", "--incoming", f"tcp://127.0.0.1:{port}", "--memory", "64M")
    h.check(st == 0, f"create dst --incoming (status {st}, {err.strip()})")
    st, out, err = d.vessel("start", "dst")
    h.check(st == 0, "start dst")
    st, out, err = d.vessel("migrate", "src", f"tcp://127.0.0.1:{port}", "--downtime", "50")
    h.check(st == 0 and re.search(r"migration completed: .*total_ms=\d+ .*downtime_ms=[\d.]+", out),
            f"migrate src: exit 0 with the report (status {st}, {out.strip()} {err.strip()[-300:]})")
    src = d.vm("src") or {}
    h.check(src.get("state") == "migrated" and src.get("exit_status") == 0,
            f"src is recorded as migrated, exit status 0 ({src.get('state')}, {src.get('exit_reason')})")
    st, out, err = d.vessel("ls")
    h.check(re.search(r"^src\s+migrated\s", out, re.M) and re.search(r"^dst\s+running\s", out, re.M),
            f"ls: src migrated, dst running ({out!r})")
    code, data, raw = d.curl("GET", "/vms/src/migrate")
    h.check(code == 200 and data and data.get("state") == "completed",
            f"GET /vms/src/migrate still reports the completed migration ({raw[:200]})")
    dcon = m.Console(os.path.join(d.vm_dir("dst"), "console.sock"))
    con.drain(1.0)      # the rest of the source's output, until its console closes
    n_src = last_tick(con)
    h.check(dcon.expect("memtick=", 30), "the destination's guest prints memtick lines")
    first = re.findall(r"^memtick=(\d+) ", dcon.text, re.M)
    h.check(first and int(first[0]) == n_src + 1, f"the destination goes on with memtick={n_src + 1} ({first[:1]})")
    counting_on(dcon, "at the destination", after=n_src)
    time.sleep(2)
    src = d.vm("src") or {}
    h.check(src.get("state") == "migrated" and src.get("restarts") == 0,
            f"src (--restart always) is not restarted after the move ({src.get('state')}, {src.get('restarts')})")
    h.check("migrated" in d.log(), "the daemon's log says src migrated")
    st, out, err = d.vessel("kill", "dst")
    h.check(st == 0, "kill dst")
    st, out, err = d.vessel("rm", "src")
    h.check(st == 0, "rm a migrated VM")
except Exception as e:  # report, never hang
    h.check(False, f"unexpected: {e!r}")
finally:
    if h._failures:
        print(d.log()[-3000:])
        for name in ("src", "dst", "clone"):
            p = os.path.join(d.vm_dir(name), "vessel.log")
            if os.path.exists(p):
                print(f"---- {name} ----\n" + open(p, errors="replace").read()[-1500:])
    d.cleanup()
h.finish("snapshot, create --restore and migrate through the manager")
