# SPDX-License-Identifier: MIT
"""Live migration between two "hosts": network namespaces joined by a veth
pair, each with a bridge (and a TAP for the guest's NIC). The guest keeps
dirtying memory (memdirty: a counter, and every page checked against the
write it must hold) or serves a TCP echo; after the move the counter goes
on, every check passes and the echo client gets back every byte it sent.

Faults: the destination killed mid-transfer, the connection cut, the
destination refusing (wrong memory size), a garbled stream at the
destination, a fake destination answering garbage. Each time the source
keeps running its guest (still counting, checks passing) and the
destination exits non-zero.

A writable disk moves too (one host: the source hands its image lock over
in the final step): what the guest wrote before the move reads back at the
destination and its next write lands in the file; a destination that cannot
open the disk fails the migration and the source takes its lock back.
Needs root (namespaces, TAPs): SKIP otherwise."""

import fcntl
import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import VESSEL, Vm, check, finish, require_kvm, skip  # noqa: E402

NS_A, NS_B = f"vsl-mig-a{os.getpid()}", f"vsl-mig-b{os.getpid()}"
IP_A, IP_B, IP_GUEST = "10.77.0.1", "10.77.0.3", "10.77.0.2"
TAP = "vmigtap0"
PORT = 47311
DIRTY = "memdirty:32:20:200:100000"   # 32 MiB rewritten at 20 MiB/s, a line every 200 ms


def sh(*cmd, ns=None, check_rc=True):
    argv = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    p = subprocess.run(argv, capture_output=True, text=True)
    if check_rc and p.returncode:
        raise RuntimeError(f"{' '.join(argv)}: {p.stderr.strip()}")
    return p


def setup_hosts():
    sh("ip", "netns", "add", NS_A)
    sh("ip", "netns", "add", NS_B)
    sh("ip", "link", "add", "vmiga", "netns", NS_A, "type", "veth", "peer", "name", "vmigb", "netns", NS_B)
    for ns, veth, ip in ((NS_A, "vmiga", IP_A), (NS_B, "vmigb", IP_B)):
        sh("ip", "link", "set", "lo", "up", ns=ns)
        sh("ip", "link", "add", "br0", "type", "bridge", ns=ns)
        sh("ip", "link", "set", veth, "master", "br0", "up", ns=ns)
        sh("ip", "tuntap", "add", "dev", TAP, "mode", "tap", "vnet_hdr", ns=ns)
        sh("ip", "link", "set", TAP, "master", "br0", "up", ns=ns)
        sh("ip", "addr", "add", f"{ip}/24", "dev", "br0", ns=ns)
        sh("ip", "link", "set", "br0", "up", ns=ns)


def teardown_hosts():
    for ns in (NS_A, NS_B):
        sh("ip", "netns", "del", ns, check_rc=False)


ALL_VMS = []   # every vessel started, killed at the end whatever happened


def source_vm(cmds, mem="256M"):
    return track(Vm("--memory", mem, "--net", f"tap={TAP}", "--api-sock", API_SOCK,
              cmdline="console=ttyS0 run=" + cmds, prefix=["ip", "netns", "exec", NS_A]))


def track(vm):
    ALL_VMS.append(vm)
    return vm


def dest_vm(*extra, ns=NS_B, ip=IP_B):
    vm = track(Vm("--incoming", f"tcp://{ip}:{PORT}", *extra, kernel=None, prefix=["ip", "netns", "exec", ns]))
    # It listens once it says so.
    check(vm.expect_err(r"waiting for an incoming migration", 10), "destination listens")
    return vm


def migrate(*extra, dest=f"tcp://{IP_B}:{PORT}"):
    p = subprocess.run([VESSEL, "migrate", "--api-sock", API_SOCK, dest, *extra],
                       capture_output=True, text=True, timeout=120)
    print(f"  vessel migrate: status {p.returncode}: {p.stdout.strip()} {p.stderr.strip()[-400:]}", flush=True)
    return p


def counter(vm):
    found = re.findall(r"^memdirty=(\d+) steps=\d+ ok=(\d)", vm.text, re.M)
    return (int(found[-1][0]), found[-1][1]) if found else (0, "0")


def still_counting(vm, what):
    """The guest goes on counting with every page check passing."""
    n0, _ = counter(vm)
    check(vm.expect(rf"^memdirty={n0 + 3} steps=\d+ ok=1", 30) is not None,
          f"{what}: the source's guest keeps counting ({n0} -> {n0 + 3}), checks passing")
    check("memdirty.mismatch" not in vm.text, f"{what}: no page check failed at the source")
    check(vm.proc.poll() is None, f"{what}: the source vessel still runs")


def expect_err(self, pattern, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, self.err.decode(errors="replace"), re.M):
            return True
        if self.proc.poll() is not None and not self._pump(0):
            break
        self._pump(0.1)
    return re.search(pattern, self.err.decode(errors="replace"), re.M) is not None


Vm.expect_err = expect_err


def fault_dest_killed(src):
    # 20 Mbit/s on the source's veth: a few seconds of transfer to cut into.
    sh("tc", "qdisc", "add", "dev", "vmiga", "root", "tbf", "rate", "20mbit", "burst", "64kb",
       "latency", "400ms", ns=NS_A)
    dst = dest_vm()
    result = {}
    t = threading.Thread(target=lambda: result.update(p=migrate()))
    t.start()
    time.sleep(2)
    dst.kill()
    t.join(120)
    p = result.get("p")
    check(p is not None and p.returncode == 1, "destination killed: vessel migrate exits 1")
    check(src.expect_err(r"migration to .* failed: .*the VM keeps running here", 30),
          "destination killed: the source logs the failure")
    still_counting(src, "destination killed")
    sh("tc", "qdisc", "del", "dev", "vmiga", "root", ns=NS_A)


def fault_connection_cut(src):
    sh("tc", "qdisc", "add", "dev", "vmiga", "root", "tbf", "rate", "20mbit", "burst", "64kb",
       "latency", "400ms", ns=NS_A)
    dst = dest_vm()
    result = {}
    t = threading.Thread(target=lambda: result.update(p=migrate()))
    t.start()
    time.sleep(2)
    sh("ip", "link", "set", "vmigb", "down", ns=NS_B)
    t.join(120)
    p = result.get("p")
    check(p is not None and p.returncode == 1, "connection cut: vessel migrate exits 1")
    still_counting(src, "connection cut")
    status = dst.wait(60)
    check(status not in (None, 0), f"connection cut: the destination exits non-zero (status {status})")
    check(re.search(r"cut while reading|stopped sending", dst.err.decode(errors="replace")) is not None,
          "connection cut: the destination says the stream was cut")
    sh("ip", "link", "set", "vmigb", "up", ns=NS_B)
    sh("tc", "qdisc", "del", "dev", "vmiga", "root", ns=NS_A)


def fault_dest_refuses(src):
    dst = dest_vm("--memory", "512M")
    p = migrate()
    check(p.returncode == 1 and "refused" in p.stderr + p.stdout,
          "wrong memory size: vessel migrate exits 1 and says the destination refused")
    status = dst.wait(30)
    check(status == 1, f"wrong memory size: the destination exits 1 (status {status})")
    check("512 MiB" in dst.err.decode(errors="replace"), "wrong memory size: the destination says why")
    still_counting(src, "destination refused")


def fault_garbled_at_dest():
    dst = dest_vm()
    # A client in the source's namespace sends garbage instead of a hello.
    code = ("import socket,sys;s=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=10);"
            "s.sendall(b'GARBAGE!'*64);s.shutdown(socket.SHUT_WR);s.recv(4096);s.close()")
    sh("python3", "-c", code, IP_B, str(PORT), ns=NS_A, check_rc=False)
    status = dst.wait(30)
    check(status == 1, f"garbled header: the destination exits 1 (status {status})")
    check("not a vessel migration stream" in dst.err.decode(errors="replace"),
          "garbled header: the destination says it is not a migration stream")


def fault_fake_dest(src):
    """A destination that answers the hello with garbage."""
    code = ("import socket,sys;l=socket.socket();l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);"
            "l.bind((sys.argv[1],int(sys.argv[2])));l.listen(1);print('ready',flush=True);c,_=l.accept();"
            "c.recv(216);c.sendall(b'\\xff'*136);c.recv(1<<20);c.close()")
    fake = subprocess.Popen(["ip", "netns", "exec", NS_B, "python3", "-c", code, IP_B, str(PORT)],
                            stdout=subprocess.PIPE, text=True)
    fake.stdout.readline()
    p = migrate()
    check(p.returncode == 1 and "not a vessel migration reply" in p.stderr + p.stdout,
          "fake destination: vessel migrate exits 1, the answer is not a migration reply")
    fake.kill()
    fake.wait()
    still_counting(src, "fake destination")


def migrate_ok(src):
    dst = dest_vm()
    n_before, _ = counter(src)
    p = migrate("--downtime", "50")
    check(p.returncode == 0, "migration: vessel migrate exits 0")
    report = re.search(r"migration completed: .*total_ms=(\d+) rounds=(\d+) bytes=(\d+) .*downtime_ms=([\d.]+)",
                       p.stdout)
    check(report is not None, "migration: the report line has total time, rounds, bytes, downtime")
    status = src.wait(30)
    check(status == 0, f"migration: the source vessel exits 0 (status {status})")
    check("migrated: the guest runs at the destination now" in src.err.decode(errors="replace"),
          "migration: the source says the guest moved")
    n_src, _ = counter(src)
    m = dst.expect(rf"^memdirty=({n_src + 1}) steps=\d+ ok=(\d)", 30)
    check(m is not None and m.group(2) == "1",
          f"migration: the destination's guest goes on with memdirty={n_src + 1}, its page check passing")
    check(dst.expect(rf"^memdirty={n_src + 5} steps=\d+ ok=1", 30) is not None,
          "migration: it keeps counting at the destination, checks passing")
    check("memdirty.mismatch" not in dst.text, "migration: no page lost a write")
    check(n_src > n_before, "migration: the guest ran during the pre-copy")
    return dst


MASK = (1 << 64) - 1
SECTOR = 512


def mix(x):
    """The test guest's disk pattern word (tests/guest/README.md)."""
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def pattern(seed, sector, count):
    start = sector * SECTOR
    return b"".join(mix(seed ^ off).to_bytes(8, "little") for off in range(start, start + count * SECTOR, 8))


def disk_locked(path):
    """Does some process hold a lock on the image? (POSIX and OFD locks conflict.)"""
    with open(path, "r+b") as f:
        try:
            fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.lockf(f, fcntl.LOCK_UN)
        return False


def ticks(vm):
    found = re.findall(r"^tick=(\d+) ", vm.text, re.M)
    return int(found[-1]) if found else 0


def disk_across_migration():
    """A writable --disk: the lock goes with the guest; a failed move gives it back to the source."""
    tmp = f"/tmp/vessel-mig-disk-{os.getpid()}"
    os.makedirs(tmp, exist_ok=True)
    img = os.path.join(tmp, "disk.img")
    with open(img, "wb") as f:
        f.truncate(4 << 20)
    cmds = "blkwrite:0:0:64:7,tick:200:60,blkverify:0:0:64:7,blkwrite:0:64:64:9"
    src = track(Vm("--memory", "128M", "--disk", f"path={img}", "--api-sock", API_SOCK,
                   cmdline="console=ttyS0 run=" + cmds, prefix=["ip", "netns", "exec", NS_A]))
    check(src.expect(r"^tick=2 ", 60) is not None, "disk: the source's guest wrote its disk and ticks")
    check(re.search(r"^blkwrite.ok=1", src.text, re.M) is not None, "disk: the write before the move succeeded")
    check(disk_locked(img), "disk: the source holds the image's lock")

    # A destination that cannot open the image (hidden under a tmpfs in its mount namespace).
    hide = ["ip", "netns", "exec", NS_B, "unshare", "-m", "sh", "-c",
            f'mount -t tmpfs none {tmp} && exec "$0" "$@"']
    dst = track(Vm("--incoming", f"tcp://{IP_B}:{PORT}", kernel=None, prefix=hide))
    check(dst.expect_err(r"waiting for an incoming migration", 10), "disk: the blind destination listens")
    p = migrate()
    check(p.returncode == 1 and "could not load" in p.stderr + p.stdout,
          "disk: a destination without the image fails the migration (vessel migrate exits 1)")
    status = dst.wait(30)
    check(status == 1, f"disk: that destination exits 1 (status {status})")
    check("disk.img" in dst.err.decode(errors="replace"), "disk: that destination names the disk it could not open")
    n0 = ticks(src)
    check(src.expect(rf"^tick={n0 + 2} ", 30) is not None, "disk: the source's guest goes on after the failed move")
    check(disk_locked(img), "disk: the source took the image's lock back")

    dst = dest_vm()
    p = migrate("--downtime", "50")
    check(p.returncode == 0, "disk: the migration with a writable disk completed")
    check(src.wait(30) == 0, "disk: the source vessel exits 0")
    m = dst.expect(r"^blkverify.ok=(\d)", 60)
    check(m is not None and m.group(1) == "1", "disk: the destination's guest reads back what it wrote before the move")
    m = dst.expect(r"^blkwrite.ok=(\d)", 30) and re.findall(r"^blkwrite.ok=(\d)", dst.text, re.M)
    check(bool(m) and m[-1] == "1", "disk: the destination's guest writes its disk")
    with open(img, "rb") as f:
        data = f.read(128 * SECTOR)
    check(data[:64 * SECTOR] == pattern(7, 0, 64), "disk: the image holds the write from before the move")
    check(data[64 * SECTOR:] == pattern(9, 64, 64), "disk: the image holds the write made at the destination")
    check(disk_locked(img), "disk: the destination holds the image's lock")
    dst.kill()
    check(not disk_locked(img), "disk: no lock is left once the destination is gone")
    subprocess.run(["rm", "-rf", tmp])


class EchoClient(threading.Thread):
    """Streams numbered lines to the guest's echo service and checks what comes back."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sent = bytearray()
        self.got = bytearray()
        self.stop_file = f"/tmp/vessel-mig-echo-{os.getpid()}.stop"
        if os.path.exists(self.stop_file):
            os.unlink(self.stop_file)

    def run(self):
        code = r"""
import os, socket, sys, time, select
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)
s.setblocking(False)
sent = got = 0
n = 0
end = None
while True:
    r, w, _ = select.select([s], [s] if end is None else [], [], 0.05)
    if end is None and os.path.exists(sys.argv[3]):
        end = time.monotonic() + 20
    if s in r:
        d = s.recv(65536)
        if not d: break
        sys.stdout.buffer.write(d); sys.stdout.flush(); got += len(d)
    if end is None and s in w and sent - got < 4096:
        line = b"line %08d\n" % n; n += 1
        s.sendall(line); sent += len(line); sys.stderr.write(line.decode()); sys.stderr.flush()
        time.sleep(0.01)
    if end is not None and (got >= sent or time.monotonic() > end):
        break
s.shutdown(socket.SHUT_WR)
"""
        self.proc = subprocess.Popen(["ip", "netns", "exec", NS_A, "python3", "-c", code, IP_GUEST, "7000",
                                      self.stop_file],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = self.proc.communicate(timeout=300)
        self.got = out
        self.sent = err
        if os.path.exists(self.stop_file):
            os.unlink(self.stop_file)

    def finish(self):
        with open(self.stop_file, "w"):
            pass


def echo_across_migration():
    src = source_vm(f"ip:{IP_GUEST}/24,tcpserve:7000:120")
    check(src.expect(r"tcpserve.listening=7000", 60) is not None, "echo: the guest's echo service listens")
    client = EchoClient()
    client.start()
    time.sleep(3)
    dst = dest_vm()
    p = migrate()
    check(p.returncode == 0, "echo: the migration completed")
    src.wait(30)
    # The source host removes its TAP: its bridge forgets the guest's port.
    sh("ip", "link", "del", TAP, ns=NS_A, check_rc=False)
    time.sleep(5)
    client.finish()
    client.join(120)
    sent, got = bytes(client.sent), bytes(client.got)
    print(f"  echo: sent {len(sent)} bytes, got back {len(got)}", flush=True)
    check(len(sent) > 1000, "echo: the client sent data before and after the move")
    check(got == sent, "echo: the client got back exactly what it sent (no byte lost)")
    m = dst.expect(r"tcpserve.ok=(\d)", 60)
    check(m is not None and m.group(1) == "1", "echo: the guest's echo service ends cleanly at the destination")
    dst.kill()


def main():
    global API_SOCK
    if os.geteuid() != 0:
        skip("needs root: network namespaces, veth, TAP devices")
    require_kvm()
    if subprocess.run(["ip", "netns", "list"], capture_output=True).returncode:
        skip("`ip netns` is not available")
    API_SOCK = f"/tmp/vessel-mig-{os.getpid()}.sock"
    teardown_hosts()
    setup_hosts()
    src = dst = None
    try:
        src = source_vm(DIRTY)
        check(src.expect(r"^memdirty=2 steps=\d+ ok=1", 60) is not None, "the source's guest dirties memory")
        fault_dest_refuses(src)
        fault_garbled_at_dest()
        fault_fake_dest(src)
        fault_dest_killed(src)
        fault_connection_cut(src)
        dst = migrate_ok(src)
        dst.kill()
        disk_across_migration()
        echo_across_migration()
    except Exception as e:  # report, never hang
        check(False, f"unexpected: {e!r}")
    finally:
        for vm in (src, dst):
            if vm and _failures_pending():
                vm.dump()
        for vm in ALL_VMS:
            vm.kill()
        teardown_hosts()
    finish("the guest moved between namespaces with its counter, memory and TCP stream intact; "
           "every fault left the source running")


def _failures_pending():
    import harness
    return bool(harness._failures)


if __name__ == "__main__":
    main()
