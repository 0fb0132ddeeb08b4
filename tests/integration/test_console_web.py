#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The console in a web browser: `vessel console --web PATH` prints a URL with
an access token and serves the page (a small text terminal), the console's output as Server-Sent Events (history first, then
live) and keys as POSTs, as a browser's page does: what is typed reaches the
guest, which echoes it back on the stream. Two pages are two viewers. The
token is required, bad sessions and oversized input are refused, the stream
ends with an "end" event when the VM stops, Ctrl-C stops the server at once
even with a stream open, and bad --listen values get one clear line."""

import base64
import http.client
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse

import harness as h


class Stream:
    """GET /output as a browser's EventSource: a thread decodes the events."""

    def __init__(self, host, port, query):
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.conn.request("GET", "/output?" + query)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.data = b""
        self.events = []
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        event = None
        try:
            for raw in self.resp:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    if event:
                        self.events.append((event, line[6:]))
                    else:
                        self.data += base64.b64decode(line[6:])
                elif not line:
                    event = None
        except (OSError, ValueError):
            pass

    def wait_for(self, needle, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.data:
                return True
            time.sleep(0.05)
        return False


def request(host, port, method, path, body=None):
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request(method, path, body=body)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data, r.getheader("Content-Type", "")


h.require_kvm()
tmp = tempfile.mkdtemp(prefix="vessel-web-")
sock = os.path.join(tmp, "console.sock")
vm = h.Vm("--console-sock", sock, cmdline="console=ttyS0 run=echo,echo,tick:200:100,poweroff")
web = None
try:
    deadline = time.monotonic() + 10
    while not os.path.exists(sock) and time.monotonic() < deadline:
        time.sleep(0.05)
    web = subprocess.Popen([h.VESSEL, "console", "--web", sock], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    url = web.stdout.readline().strip()
    parts = urllib.parse.urlsplit(url)
    token = urllib.parse.parse_qs(parts.query).get("token", [""])[0]
    h.check(parts.scheme == "http" and parts.hostname == "127.0.0.1" and len(token) == 32,
            f"prints a loopback URL with a 128-bit token ({url})")
    host, port = parts.hostname, parts.port

    st, page, ctype = request(host, port, "GET", "/?token=" + token)
    h.check(st == 200 and b"EventSource" in page and b"fetch('input'" in page and "text/html" in ctype,
            f"GET / serves the page ({st})")
    h.check(b"vessel console: " + sock.encode() in page, "the page names the console")
    node = shutil.which("node") or shutil.which("nodejs")
    if node:
        # The page's script, run with a stand-in DOM: what it shows and what it sends.
        p = subprocess.run([node, os.path.join(os.path.dirname(os.path.abspath(__file__)), "console_web_page_check.js")],
                           input=page, capture_output=True, timeout=30)
        print(p.stdout.decode(errors="replace"), end="")
        h.check(p.returncode == 0, f"the page's script behaves (node: {p.stderr.decode(errors='replace')[-300:]})")
    else:
        print("SKIP: the page's script is not run: no node (apt-get install nodejs)", flush=True)
    for path in ("/", "/?token=" + "0" * 32, "/output?session=abcdefgh"):
        st, _, _ = request(host, port, "GET", path)
        h.check(st == 403, f"GET {path}: 403 without the right token ({st})")

    q1 = f"token={token}&session=page1aaaaa"
    s1 = Stream(host, port, q1)
    h.check(s1.status == 200 and s1.wait_for(b"vessel-guest: boot"), "the stream starts with the console's history")
    st, _, _ = request(host, port, "POST", "/input?" + q1, b"from the web\r")
    h.check(st == 204, f"POST /input: 204 ({st})")
    h.check(s1.wait_for(b"echo=from the web"), "typed keys reach the guest, its echo comes back on the stream")
    s2 = Stream(host, port, f"token={token}&session=page2bbbbb")
    h.check(s2.status == 200 and s2.wait_for(b"echo=from the web"), "a second page gets the history too")
    st, _, _ = request(host, port, "POST", f"/input?token={token}&session=page2bbbbb", b"second\r")
    h.check(s1.wait_for(b"echo=second") and s2.wait_for(b"echo=second"),
            "input from the second page reaches the guest; both pages see it")
    h.check(s1.wait_for(b"tick=2 "), "live output goes on")

    dup = Stream(host, port, q1)
    h.check(dup.status == 409, f"a session's second stream: 409 ({dup.status})")
    for q, want, what in ((f"token={token}&session=x", 400, "too short a session"),
                          (f"token={token}&session=bad%20id!!", 400, "a session with bad characters")):
        st, _, _ = request(host, port, "GET", "/output?" + q)
        h.check(st == want, f"{what}: {want} ({st})")
    st, _, _ = request(host, port, "POST", f"/input?token={token}&session=nosuchsession", b"x")
    h.check(st == 404, f"input to an unknown session: 404 ({st})")
    st, _, _ = request(host, port, "POST", "/input?" + q1, b"x" * 5000)
    h.check(st == 413, f"5000 bytes of input at once: 413 ({st})")
    st, _, _ = request(host, port, "DELETE", "/?token=" + token)
    h.check(st == 405, f"DELETE: 405 ({st})")

    status = vm.wait(60)
    h.check(status == h.STATUS_POWEROFF, f"the guest powered off ({status})")
    deadline = time.monotonic() + 10
    while not s1.events and time.monotonic() < deadline:
        time.sleep(0.05)
    h.check(any(e == "end" for e, _ in s1.events), f"the stream ends with an 'end' event ({s1.events})")
    st, body, _ = request(host, port, "GET", f"/output?token={token}&session=latecomer1")
    h.check(st == 502 and b"is the VM running?" in body, f"a page opened after the VM stopped: 502 ({st})")

    # Ctrl-C stops the server at once, even with a stream open on a live console.
    vm2_sock = os.path.join(tmp, "c2.sock")
    vm2 = h.Vm("--console-sock", vm2_sock, cmdline="console=ttyS0 run=tick:1000:100")
    while not os.path.exists(vm2_sock) and time.monotonic() < deadline + 10:
        time.sleep(0.05)
    web.terminate()
    web.wait(10)
    web = subprocess.Popen([h.VESSEL, "console", "--web", "--listen", "127.0.0.1:0", vm2_sock],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parts = urllib.parse.urlsplit(web.stdout.readline().strip())
    token = urllib.parse.parse_qs(parts.query).get("token", [""])[0]
    s3 = Stream(parts.hostname, parts.port, f"token={token}&session=openstream1")
    h.check(s3.status == 200 and s3.wait_for(b"vessel-guest: boot"), "a stream on the second VM")
    t0 = time.monotonic()
    web.send_signal(signal.SIGINT)
    rc = web.wait(10)
    h.check(rc == 0 and time.monotonic() - t0 < 3, f"SIGINT stops it in {time.monotonic() - t0:.2f} s, status {rc}")
    h.check(vm2.proc.poll() is None, "the VM is not affected")
    vm2.kill()

    for arg, msg in (("nonsense", "expected HOST:PORT"), ("127.0.0.1:99999", "expected HOST:PORT"),
                     ("no.such.host.invalid:80", "--listen no.such.host.invalid:80")):
        st, _, err = h.run_vessel(["console", "--web", "--listen", arg, sock])
        h.check(st == 1 and msg in err, f"--listen {arg}: refused ({st}, {err.strip()[:100]})")
    st, _, err = h.run_vessel(["console", "--listen", "127.0.0.1:0", sock])
    h.check(st == 2 and "--listen goes with --web" in err, f"--listen without --web ({st})")
finally:
    if web and web.poll() is None:
        web.kill()
    vm.kill()
h.finish()
