#!/usr/bin/env python3
"""platform_browser.py — headless Chromium through the participants' pages of
`ramp serve`, driven over the DevTools protocol with the standard library only
(a minimal WebSocket client below): /my without a session lands on /login;
logging in with the team token lands on /my; the session cookie is HttpOnly
(no script sees it) and SameSite=Strict; the two files go up through the form
and the new submission is listed with its state; logging out ends the
session. A screenshot of /my is kept as WORKDIR/my.png.

usage: platform_browser.py CHROME URL TOKEN PREPROCESSOR CLASSIFIER NAME WORKDIR

Prints "ok: ..." lines; on a failure prints "FAIL: ..." and exits 1.
"""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request


def fail(msg):
    print("FAIL: browser: " + msg)
    sys.exit(1)


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: text frames,
    masked from the client, any length, fragmented or not."""

    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.s = socket.create_connection((host, int(port)), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.s.recv(1)
            if not chunk:
                fail("the DevTools socket closed during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            fail("DevTools handshake: " + head.decode(errors="replace"))

    def _read(self, n):
        b = b""
        while len(b) < n:
            chunk = self.s.recv(n - len(b))
            if not chunk:
                fail("the DevTools socket closed")
            b += chunk
        return b

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            head = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        self.s.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op == 8:
                fail("DevTools closed the connection")
            if op in (0, 1, 2):
                msg += payload
                if b0 & 0x80:
                    return msg.decode()


class Page:
    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.n = 0
        self.events = []

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.n:
                if "error" in m:
                    fail(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_load(self, what):
        end = time.time() + 60
        while time.time() < end:
            if any(e.get("method") == "Page.loadEventFired" for e in self.events):
                self.events = []
                return
            self.events.append(json.loads(self.ws.recv()))
        fail("no page load after " + what)

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            fail(f"script {expr!r}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def go(self, url):
        self.events = []
        self.call("Page.navigate", url=url)
        self.wait_load("navigating to " + url)

    def click(self, element_id):
        self.events = []
        self.js(f"document.getElementById({json.dumps(element_id)}).click()")
        self.wait_load("clicking #" + element_id)

    def path(self):
        return self.js("location.pathname")


def main():
    if len(sys.argv) != 8:
        fail("usage: platform_browser.py CHROME URL TOKEN PREPROCESSOR CLASSIFIER NAME WORKDIR")
    chrome, url, token, pp, clf, name, work = sys.argv[1:]
    profile = os.path.join(work, "chrome-cdp")
    os.makedirs(profile, exist_ok=True)
    port_file = os.path.join(profile, "DevToolsActivePort")
    if os.path.exists(port_file):
        os.remove(port_file)
    proc = subprocess.Popen([chrome, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                             "--no-first-run", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync",
                             "--window-size=1280,900", "--remote-debugging-port=0",
                             "--user-data-dir=" + profile, "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "chrome-cdp.err"), "w"))
    try:
        end = time.time() + 60
        while not os.path.exists(port_file) or len(open(port_file).read().split()) < 2:
            if time.time() > end or proc.poll() is not None:
                fail("Chromium did not open its DevTools port")
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30))
        pages = [t for t in targets if t.get("type") == "page"]
        if not pages:
            fail("no page target")
        p = Page(pages[0]["webSocketDebuggerUrl"])
        p.call("Page.enable")
        p.call("Network.enable")

        p.go(url + "/my")
        if p.path() != "/login":
            fail(f"/my without a session went to {p.path()}, not /login")
        print("ok: browser: /my without a session leads to /login")

        p.js(f"document.getElementById('token').value = {json.dumps('0' * 64)}")
        p.click("go")
        if p.path() != "/login" or "invalid team token" not in p.js("document.body.innerText"):
            fail("a wrong token was not refused on the page")
        p.js(f"document.getElementById('token').value = {json.dumps(token)}")
        p.click("go")
        if p.path() != "/my":
            fail(f"logging in went to {p.path()}: {p.js('document.body.innerText')[:300]}")
        if "ramp_session" in p.js("document.cookie"):
            fail("a script can read the session cookie")
        cookies = [c for c in p.call("Network.getCookies", urls=[url])["cookies"]
                   if c["name"] == "ramp_session"]
        if len(cookies) != 1 or not cookies[0]["httpOnly"] or cookies[0].get("sameSite") != "Strict":
            fail(f"session cookie: {cookies}")
        print("ok: browser: logged in with the team token; the session cookie is HttpOnly, SameSite=Strict")

        doc = p.call("DOM.getDocument")["root"]["nodeId"]
        for sel, f in (("#pp", pp), ("#clf", clf)):
            node = p.call("DOM.querySelector", nodeId=doc, selector=sel)["nodeId"]
            p.call("DOM.setFileInputFiles", files=[os.path.abspath(f)], nodeId=node)
        p.js(f"document.getElementById('name').value = {json.dumps(name)}")
        p.click("send")
        if p.path() != "/my":
            fail(f"the upload form went to {p.path()}: {p.js('document.body.innerText')[:500]}")
        notice = p.js("(document.getElementById('notice') || {}).innerText || ''")
        if "stored" not in notice:
            fail(f"no notice after the upload: {p.js('document.body.innerText')[:500]}")
        rows = p.js("Array.from(document.querySelectorAll('#mine tr.mine')).map("
                    "r => Array.from(r.cells).map(c => c.innerText))")
        mine = [r for r in rows if r[1] == name]
        if len(mine) != 1 or mine[0][2] != "new":
            fail(f"the upload is not listed as new on /my: {rows}")
        shot = p.call("Page.captureScreenshot", format="png")["data"]
        with open(os.path.join(work, "my.png"), "wb") as f:
            f.write(base64.b64decode(shot))
        print(f"ok: browser: uploaded '{name}' through the form; /my lists it as new "
              f"({len(rows)} submissions; screenshot {os.path.join(work, 'my.png')})")

        p.click("logout")
        if p.path() != "/login":
            fail(f"logging out went to {p.path()}")
        p.go(url + "/my")
        if p.path() != "/login":
            fail("/my still open after logging out")
        print("ok: browser: logged out; /my leads to /login again")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
