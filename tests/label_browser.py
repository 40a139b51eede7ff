#!/usr/bin/env python3
"""label_browser.py — headless Chromium on the labelling page of `ramp serve`,
driven over the DevTools protocol (the WebSocket client and page helpers of
platform_browser.py; Python's standard library only) with synthetic mouse
and key events, as a person would use it:

  log in with the team token; /label opens on the first unlabelled image
  (FIRST); a box is drawn by a drag (mouse down, moves, up) from image pixel
  (X0, Y0) to (X1, Y1); key 2 makes it class 1; a drag of its bottom-right
  handle resizes it and Ctrl+Z undoes that; S saves, and the page moves to
  the next unlabelled image, where a box is drawn, selected, removed with
  Delete, and Enter saves the image with no object; ← leads back to FIRST,
  which shows its saved box, and a drag inside moves it (not saved). A
  screenshot of the drawn box is kept as WORKDIR/label.png.

usage: label_browser.py CHROME URL TOKEN FIRST X0 Y0 X1 Y1 WORKDIR [MODE]

MODE polygon (on a polygon pool): key 3 picks class 2, then clicks at (X0, Y0), (X1, Y0), (X1, Y1)
and (X0, Y1), then Enter closes the polygon and S saves it. MODE circle (on
a circle pool): key 3, then a drag from the centre (X0, Y0) to (X1, Y1) draws the
circle and S saves it. Both print the shapes the page sent.

Prints "ok: ..." lines and "SAVED: ID" for each saved image; on a failure
prints "FAIL: ..." and exits 1.
"""
import base64
import json
import os
import subprocess
import sys
import time
import urllib.request

from platform_browser import Page, fail


def wait_js(p, expr, what, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if p.js(expr):
            return
        time.sleep(0.05)
    fail(f"label: {what} (waited {timeout} s for {expr})")


def mouse(p, kind, x, y, buttons):
    p.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", buttons=buttons,
           clickCount=1)


def drag(p, a, b, steps=8):
    """A left-button drag from page point a to b."""
    mouse(p, "mouseMoved", a[0], a[1], 0)
    mouse(p, "mousePressed", a[0], a[1], 1)
    for i in range(1, steps + 1):
        t = i / steps
        mouse(p, "mouseMoved", a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, 1)
    mouse(p, "mouseReleased", b[0], b[1], 0)


KEYS = {"s": ("KeyS", 83), "2": ("Digit2", 50), "3": ("Digit3", 51), "z": ("KeyZ", 90), "Delete": ("Delete", 46),
        "Enter": ("Enter", 13), "ArrowLeft": ("ArrowLeft", 37)}


def key(p, k, ctrl=False):
    code, vk = KEYS[k]
    text = {"Enter": "\r", "Delete": "", "ArrowLeft": ""}.get(k, k)
    mods = 2 if ctrl else 0
    down = dict(type="keyDown" if (text and not ctrl) else "rawKeyDown", key=k, code=code,
                windowsVirtualKeyCode=vk, modifiers=mods)
    if text and not ctrl:
        down["text"] = text
    p.call("Input.dispatchKeyEvent", **down)
    p.call("Input.dispatchKeyEvent", type="keyUp", key=k, code=code, windowsVirtualKeyCode=vk,
           modifiers=mods)


def click(p, pt):
    mouse(p, "mouseMoved", pt[0], pt[1], 0)
    mouse(p, "mousePressed", pt[0], pt[1], 1)
    mouse(p, "mouseReleased", pt[0], pt[1], 0)


def other(p, at, mode, first, x0, y0, x1, y1):
    """A polygon by clicks and Enter, or a circle by a drag; S saves it."""
    key(p, "3")  # class 2
    if mode == "polygon":
        want = [x0, y0, x1, y0, x1, y1, x0, y1]
        for k in range(0, 8, 2):
            click(p, at(want[k], want[k + 1]))
        if p.js("rampLabel.poly ? rampLabel.poly.length : 0") != 4:
            fail("label: four clicks did not make four vertices")
        key(p, "Enter")
    elif mode == "circle":
        want = [x0, y0, ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5]
        drag(p, at(x0, y0), at(x1, y1))
    else:
        fail("label: MODE is box, polygon or circle")
    got = json.loads(p.js("JSON.stringify(rampLabel.shapes)"))
    if len(got) != 1 or got[0]["kind"] != mode or got[0]["cls"] != 2:
        fail(f"label: the {mode} tool made {got}")
    v = got[0]["v"]
    if len(v) != len(want) or max(abs(a - b) for a, b in zip(v, want)) > 1.0:
        fail(f"label: the {mode} drawn is {v}, not {want}")
    key(p, "s")
    wait_js(p, "rampLabel.saves === 1", "S did not save: " + str(p.js("document.getElementById('status').textContent")))
    print(f"SAVED: {first}")
    print(f"ok: browser: key 3 and a {mode} of class 2 drawn with the mouse ({[round(a, 2) for a in v]}), saved with S")


def main():
    if len(sys.argv) not in (10, 11):
        fail("usage: label_browser.py CHROME URL TOKEN FIRST X0 Y0 X1 Y1 WORKDIR [MODE]")
    chrome, url, token, first = sys.argv[1:5]
    x0, y0, x1, y1 = map(float, sys.argv[5:9])
    work = sys.argv[9]
    mode = sys.argv[10] if len(sys.argv) == 11 else "box"
    profile = os.path.join(work, "chrome-label")
    os.makedirs(profile, exist_ok=True)
    port_file = os.path.join(profile, "DevToolsActivePort")
    if os.path.exists(port_file):
        os.remove(port_file)
    proc = subprocess.Popen([chrome, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                             "--no-first-run", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync",
                             "--window-size=1280,1000", "--remote-debugging-port=0",
                             "--user-data-dir=" + profile, "about:blank"],
                            stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(work, "chrome-label.err"), "w"))
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

        p.go(url + "/label")
        if p.path() != "/login":
            fail(f"label: /label without a session went to {p.path()}, not /login")
        p.js(f"document.getElementById('token').value = {json.dumps(token)}")
        p.click("go")
        p.go(url + "/label")
        if p.path() != "/label":
            fail(f"label: /label after logging in is {p.path()}")
        wait_js(p, "window.rampLabel && window.rampLabel.ready", "the page never showed an image")
        cur = p.js("rampLabel.images[rampLabel.cur].id")
        if cur != first:
            fail(f"label: the page opened on {cur}, not the first unlabelled image {first}")
        print(f"ok: browser: /label opens on the first unlabelled image ({cur})")

        rect = p.js("(() => { const r = document.getElementById('cv').getBoundingClientRect();"
                    " return [r.left, r.top, rampLabel.scale]; })()")
        left, top, scale = rect

        def at(x, y):
            return (left + x * scale, top + y * scale)

        if mode != "box":
            other(p, at, mode, first, x0, y0, x1, y1)
            return
        drag(p, at(x0, y0), at(x1, y1))
        shapes = p.js("JSON.stringify(rampLabel.shapes)")
        got = json.loads(shapes)
        if len(got) != 1 or got[0]["kind"] != "box":
            fail(f"label: after one drag the shapes are {shapes}")
        v = got[0]["v"]
        if max(abs(a - b) for a, b in zip(v, [x0, y0, x1, y1])) > 1.0:
            fail(f"label: the drawn box is {v}, the drag went from ({x0}, {y0}) to ({x1}, {y1})")
        key(p, "2")
        if p.js("rampLabel.shapes[0].cls") != 1:
            fail("label: key 2 did not make the selected box class 1")
        print(f"ok: browser: a drag drew the box {[round(a, 2) for a in v]}; key 2 made it class 1")
        shot = p.call("Page.captureScreenshot", format="png")["data"]
        with open(os.path.join(work, "label.png"), "wb") as f:
            f.write(base64.b64decode(shot))

        drag(p, at(x1, y1), at(x1 + 6, y1 + 5))
        v2 = p.js("rampLabel.shapes[0].v")
        if abs(v2[2] - (x1 + 6)) > 1.0 or abs(v2[3] - (y1 + 5)) > 1.0:
            fail(f"label: dragging the bottom-right handle gave {v2}")
        key(p, "z", ctrl=True)
        v3 = p.js("rampLabel.shapes[0].v")
        if max(abs(a - b) for a, b in zip(v3, v)) > 1e-9:
            fail(f"label: Ctrl+Z gave {v3}, not {v}")
        print("ok: browser: the handle resized the box; Ctrl+Z undid it")

        key(p, "s")
        wait_js(p, "rampLabel.saves === 1", "S did not save: " + str(p.js("document.getElementById('status').textContent")))
        status = p.js("document.getElementById('status').textContent")
        if "saved " + first not in status:
            fail(f"label: status after saving: {status}")
        print(f"SAVED: {first}")
        wait_js(p, f"rampLabel.ready && rampLabel.images[rampLabel.cur].id !== {json.dumps(first)}",
                "the page did not move on after saving")
        second = p.js("rampLabel.images[rampLabel.cur].id")
        rect = p.js("(() => { const r = document.getElementById('cv').getBoundingClientRect();"
                    " return [r.left, r.top, rampLabel.scale]; })()")
        left, top, scale = rect
        drag(p, at(5, 5), at(20, 20))
        if p.js("rampLabel.shapes.length") != 1:
            fail("label: no box drawn on the second image")
        key(p, "Delete")
        if p.js("rampLabel.shapes.length") != 0:
            fail("label: Delete did not remove the selected box")
        key(p, "Enter")
        wait_js(p, "rampLabel.saves === 2", "Enter did not save")
        print(f"SAVED: {second}")
        print(f"ok: browser: moved on to {second}; a box drawn and removed with Delete; Enter saved it empty")
        print(f"ok: browser: screenshot of the drawn box: {os.path.join(work, 'label.png')}")

        # back to the first image with the arrow key: its saved box is shown
        # and can be moved by a drag from inside (not saved)
        wait_js(p, "rampLabel.ready", "the page did not show the next image")
        for _ in range(5):
            if p.js("rampLabel.images[rampLabel.cur].id") == first:
                break
            key(p, "ArrowLeft")
            wait_js(p, "rampLabel.ready", "← did not show the previous image")
        if p.js("rampLabel.images[rampLabel.cur].id") != first:
            fail(f"label: ← never led back to {first}")
        back = json.loads(p.js("JSON.stringify(rampLabel.shapes)"))
        if len(back) != 1 or back[0]["cls"] != 1 or max(abs(a - b) for a, b in zip(back[0]["v"], v)) > 0.01:
            fail(f"label: {first} shows {back} after saving {v}")
        cx, cy = (v[0] + v[2]) / 2, (v[1] + v[3]) / 2
        drag(p, at(cx, cy), at(cx + 3, cy + 2))
        moved = p.js("rampLabel.shapes[0].v")
        if max(abs(a - b) for a, b in zip(moved, [v[0] + 3, v[1] + 2, v[2] + 3, v[3] + 2])) > 0.5:
            fail(f"label: dragging inside the box moved it to {moved}, from {v}")
        print(f"ok: browser: ← leads back to {first}, which shows its saved box; a drag inside moves it")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
