/* label_page.c — the labelling page of `ramp serve` (GET /label) and its
 * script (GET /label/app.js), both from the binary.
 *
 * The page is a canvas over the image and a toolbar; the script asks the
 * JSON API for the pool (/api/label/images.json), an image's latest shapes
 * (/api/label/shapes/ID.json) and the image itself (/label/img/ID), and
 * saves with POST /api/label/save (JSON, the session's CSRF token in the
 * X-CSRF-Token header, read from the page's meta tag). Shapes are kept in
 * image pixels (origin: the top-left corner of the top-left pixel); the
 * canvas shows the image scaled to fit, and every mouse position is divided
 * by that scale. The script is a separate file so that the page can be sent
 * with a Content-Security-Policy that allows no inline script.
 *
 * Keys (as common labelling tools): B, C, P pick the box, circle or polygon
 * tool (only the pool's geometry is enabled); 1–9 pick the class (and
 * change the selected shape's); drag to draw, drag a handle to resize, drag
 * inside a shape to move it; a polygon is drawn by clicks, closed by Enter,
 * a double click or a click on its first vertex; Delete or Backspace
 * removes the selected shape; Ctrl+Z undoes; Enter or S saves; N or →
 * goes to the next image, ← to the previous one; Esc drops the polygon
 * being drawn, or the selection.
 */
#include "core/coreInt.h"
#include "http/httpInt.h"

void ramp__label_page_html(ramp__buf *out, const char *title, const char *team, const char *csrf)
{
    ramp__buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        "<meta name=\"csrf\" content=\"");
    ramp__buf_html(out, csrf);
    ramp__buf_puts(out, "\"><title>Labelling: ");
    ramp__buf_html(out, title);
    ramp__buf_puts(out,
                   "</title><style>"
                   "body{font-family:sans-serif;margin:12px;background:#fafafa}"
                   "#bar{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin-bottom:8px}"
                   "#bar button.on{background:#246;color:#fff}"
                   "#cv{border:1px solid #888;cursor:crosshair;background:#222;display:block}"
                   "#status{margin:6px 0;min-height:1.2em}#status.err{color:#b00}"
                   "#help{color:#555;font-size:90%}"
                   "</style></head><body><h1>Labelling: ");
    ramp__buf_html(out, title);
    ramp__buf_puts(out, "</h1><p>Labelling as <b id=\"who\">");
    ramp__buf_html(out, team);
    ramp__buf_puts(
        out, "</b> · <a href=\"/my\">my submissions</a> · <a href=\"/\">leaderboard</a></p>"
             "<div id=\"bar\">"
             "<button id=\"t-box\" title=\"B\">Box (B)</button>"
             "<button id=\"t-circle\" title=\"C\">Circle (C)</button>"
             "<button id=\"t-polygon\" title=\"P\">Polygon (P)</button>"
             "<label>class <select id=\"cls\"></select></label>"
             "<button id=\"prev\" title=\"&larr;\">&larr; previous</button>"
             "<button id=\"next\" title=\"N or &rarr;\">next &rarr;</button>"
             "<button id=\"undo\" title=\"Ctrl+Z\">undo</button>"
             "<button id=\"del\" title=\"Delete\">delete shape</button>"
             "<button id=\"save\" title=\"Enter or S\">save (S)</button>"
             "<span id=\"pos\"></span></div>"
             "<div id=\"status\"></div>"
             "<canvas id=\"cv\" width=\"10\" height=\"10\" tabindex=\"0\"></canvas>"
             "<p id=\"help\">Drag to draw; drag a handle to resize, inside a shape to move it. "
             "Polygon: click each vertex, close with Enter, a double click or the first vertex. "
             "Keys: B/C/P tool, 1&ndash;9 class, Delete remove, Ctrl+Z undo, Enter/S save, "
             "N/&rarr; next, &larr; previous, Esc cancel.</p>"
             "<script src=\"/label/app.js\"></script></body></html>\n");
}

/* the script, a line per string (ISO C bounds one literal at 4095 bytes) */
const char *const ramp__label_js[] = {
    "'use strict';\n",
    "(function () {\n",
    "const csrf = document.querySelector('meta[name=csrf]').content;\n",
    "const cv = document.getElementById('cv'), g = cv.getContext('2d');\n",
    "const $ = (id) => document.getElementById(id);\n",
    "const COLORS = ['#e6194b','#3cb44b','#4363d8','#f58231','#911eb4','#42d4f4','#f032e6',",
    "'#bfef45','#fabed4','#469990'];\n",
    "const S = { meta: null, images: [], cur: -1, img: null, scale: 1, w: 0, h: 0, shapes: [],\n",
    "  sel: -1, tool: 'box', cls: 0, undo: [], drag: null, poly: null, dirty: false, saves: 0,\n",
    "  ready: false };\n",
    "window.rampLabel = S;\n",
    "function say(t, err) { $('status').textContent = t; $('status').className = err ? 'err' : ''; "
    "}\n",
    "function color(c) { return COLORS[c % COLORS.length]; }\n",
    "function clampX(x) { return Math.min(Math.max(x, 0), S.w); }\n",
    "function clampY(y) { return Math.min(Math.max(y, 0), S.h); }\n",
    "function remember() { S.undo.push(JSON.stringify(S.shapes)); if (S.undo.length > 200) "
    "S.undo.shift(); S.dirty = true; }\n",
    "function undo() { if (!S.undo.length) return; S.shapes = JSON.parse(S.undo.pop()); S.sel = "
    "-1; S.dirty = true; draw(); }\n",
    "function setTool(t) { if (!S.meta || t !== S.meta.geometry) return; S.tool = t;\n",
    "  ['box','circle','polygon'].forEach(k => $('t-' + k).classList.toggle('on', k === t)); }\n",
    "function setClass(c) { if (!S.meta || c < 0 || c >= S.meta.classes.length) return; S.cls = c; "
    "$('cls').value = String(c);\n",
    "  if (S.sel >= 0 && S.shapes[S.sel].cls !== c) { remember(); S.shapes[S.sel].cls = c; draw(); "
    "} }\n",
    "function pos() { const n = S.images.filter(x => !x.labelled).length;\n",
    "  $('pos').textContent = (S.cur + 1) + ' / ' + S.images.length + ' (' + n + ' unlabelled)' "
    "+\n",
    "    (S.cur >= 0 ? ' · ' + S.images[S.cur].id + (S.images[S.cur].labelled ? ' · labelled' : "
    "'') : ''); }\n",
    "async function init() {\n",
    "  const r = await fetch('/api/label/images.json', { credentials: 'same-origin' });\n",
    "  if (!r.ok) { say('cannot read the pool: HTTP ' + r.status, true); return; }\n",
    "  S.meta = await r.json(); S.images = S.meta.images;\n",
    "  S.meta.classes.forEach((c, i) => { const o = document.createElement('option'); o.value = "
    "String(i);\n",
    "    o.textContent = (i < 9 ? (i + 1) + ': ' : '') + c; $('cls').appendChild(o); });\n",
    "  $('cls').onchange = () => setClass(+$('cls').value);\n",
    "  ['box','circle','polygon'].forEach(k => { $('t-' + k).disabled = k !== S.meta.geometry; "
    "$('t-' + k).onclick = () => setTool(k); });\n",
    "  setTool(S.meta.geometry);\n",
    "  $('prev').onclick = () => go(S.cur - 1); $('next').onclick = () => go(S.cur + 1);\n",
    "  $('save').onclick = save; $('undo').onclick = undo; $('del').onclick = del;\n",
    "  if (!S.images.length) { say('the pool has no image'); return; }\n",
    "  const i = S.images.findIndex(x => !x.labelled); go(i < 0 ? 0 : i);\n",
    "}\n",
    "async function go(i) {\n",
    "  if (i < 0 || i >= S.images.length) return;\n",
    "  if (S.dirty) say('unsaved changes to ' + S.images[S.cur].id + ' were dropped');\n",
    "  S.ready = false; S.cur = i; S.sel = -1; S.poly = null; S.drag = null; S.undo = []; S.dirty "
    "= false;\n",
    "  const im = S.images[i], id = encodeURIComponent(im.id);\n",
    "  S.w = im.width; S.h = im.height; S.shapes = []; pos();\n",
    "  const r = await fetch('/api/label/shapes/' + id + '.json', { credentials: 'same-origin' "
    "});\n",
    "  if (S.cur !== i) return; /* moved on meanwhile */\n",
    "  if (r.ok) { const j = await r.json(); if (S.cur !== i) return; S.shapes = "
    "j.shapes.map(fromJson).filter(x => x); }\n",
    "  else if (r.status !== 404) say('cannot read the labels of ' + im.id + ': HTTP ' + r.status, "
    "true);\n",
    "  const img = new Image();\n",
    "  img.onload = () => { if (S.cur !== i) return; S.img = img;\n",
    "    S.scale = Math.min(960 / S.w, 640 / S.h); cv.width = Math.round(S.w * S.scale); cv.height "
    "= Math.round(S.h * S.scale);\n",
    "    S.scale = cv.width / S.w; draw(); S.ready = true; cv.focus(); };\n",
    "  img.onerror = () => say('cannot load the image ' + im.id, true);\n",
    "  img.src = '/label/img/' + id;\n",
    "}\n",
    "function fromJson(o) { for (const k of ['box','circle','polygon']) if (o[k]) return { cls: "
    "o['class'], kind: k, v: o[k].slice() }; return null; }\n",
    "function toJson(s) { const o = { 'class': s.cls }; o[s.kind] = s.v.map(x => Math.round(x * "
    "100) / 100); return o; }\n",
    "function norm(s) { if (s.kind === 'box') { const [a, b, c, d] = s.v; s.v = [Math.min(a, c), "
    "Math.min(b, d), Math.max(a, c), Math.max(b, d)]; } }\n",
    "function valid(s) { if (s.kind === 'box') return s.v[2] - s.v[0] >= 1 && s.v[3] - s.v[1] >= "
    "1;\n",
    "  if (s.kind === 'circle') return s.v[2] >= 1; return s.v.length >= 6; }\n",
    "async function save() {\n",
    "  if (S.cur < 0 || !S.ready) return;\n",
    "  if (S.poly) closePoly();\n",
    "  const im = S.images[S.cur], i = S.cur;\n",
    "  const body = JSON.stringify({ id: im.id, shapes: S.shapes.map(toJson) });\n",
    "  const r = await fetch('/api/label/save', { method: 'POST', credentials: 'same-origin',\n",
    "    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body });\n",
    "  let j = {}; try { j = await r.json(); } catch (e) { }\n",
    "  if (!r.ok) { say('not saved: ' + (j.error || 'HTTP ' + r.status), true); return; }\n",
    "  im.labelled = true; S.dirty = false; S.saves++;\n",
    "  say('saved ' + im.id + ' (' + S.shapes.length + ' shapes)');\n",
    "  let n = S.images.findIndex((x, k) => k > i && !x.labelled);\n",
    "  if (n < 0) n = S.images.findIndex(x => !x.labelled);\n",
    "  if (n >= 0) go(n); else pos();\n",
    "}\n",
    "function del() { if (S.sel < 0) return; remember(); S.shapes.splice(S.sel, 1); S.sel = -1; "
    "draw(); }\n",
    "function closePoly() { const p = S.poly; S.poly = null;\n",
    "  if (p && p.length >= 3) { remember(); S.shapes.push({ cls: S.cls, kind: 'polygon', v: "
    "p.flat() }); S.sel = S.shapes.length - 1; }\n",
    "  draw(); }\n",
    "function handles(s) { const v = s.v;\n",
    "  if (s.kind === 'box') return [[v[0], v[1]], [v[2], v[1]], [v[2], v[3]], [v[0], v[3]]];\n",
    "  if (s.kind === 'circle') return [[v[0] + v[2], v[1]]];\n",
    "  const h = []; for (let k = 0; k < v.length; k += 2) h.push([v[k], v[k + 1]]); return h; }\n",
    "function inside(s, x, y) { const v = s.v;\n",
    "  if (s.kind === 'box') return x >= v[0] && x <= v[2] && y >= v[1] && y <= v[3];\n",
    "  if (s.kind === 'circle') return Math.hypot(x - v[0], y - v[1]) <= v[2];\n",
    "  let c = false; const n = v.length / 2;\n",
    "  for (let i = 0, j = n - 1; i < n; j = i++) { const xi = v[2 * i], yi = v[2 * i + 1], xj = "
    "v[2 * j], yj = v[2 * j + 1];\n",
    "    if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) c = !c; }\n",
    "  return c; }\n",
    "function at(e) { const r = cv.getBoundingClientRect();\n",
    "  return [clampX((e.clientX - r.left) / S.scale), clampY((e.clientY - r.top) / S.scale)]; }\n",
    "const NEAR = 7;\n",
    "cv.addEventListener('mousedown', e => {\n",
    "  if (!S.ready || e.button !== 0) return; e.preventDefault(); cv.focus();\n",
    "  const [x, y] = at(e), near = NEAR / S.scale;\n",
    "  if (S.poly) { const f = S.poly[0];\n",
    "    if (S.poly.length >= 3 && Math.hypot(x - f[0], y - f[1]) <= near) { closePoly(); return; "
    "}\n",
    "    S.poly.push([x, y]); draw(); return; }\n",
    "  if (S.sel >= 0) { const hs = handles(S.shapes[S.sel]);\n",
    "    for (let k = 0; k < hs.length; k++) if (Math.hypot(x - hs[k][0], y - hs[k][1]) <= near) "
    "{\n",
    "      remember(); S.drag = { kind: 'handle', k }; return; } }\n",
    "  for (let i = S.shapes.length - 1; i >= 0; i--) if (inside(S.shapes[i], x, y)) {\n",
    "    S.sel = i; remember(); S.drag = { kind: 'move', x, y, v: S.shapes[i].v.slice() }; "
    "setClassQuiet(S.shapes[i].cls); draw(); return; }\n",
    "  S.sel = -1;\n",
    "  if (S.tool === 'polygon') { S.poly = [[x, y]]; draw(); return; }\n",
    "  S.drag = { kind: 'new', x, y, s: { cls: S.cls, kind: S.tool, v: S.tool === 'box' ? [x, y, "
    "x, y] : [x, y, 0] } };\n",
    "  draw();\n",
    "});\n",
    "function setClassQuiet(c) { S.cls = c; $('cls').value = String(c); }\n",
    "window.addEventListener('mousemove', e => {\n",
    "  if (!S.drag) { if (S.poly) { S.hover = at(e); draw(); } return; }\n",
    "  const [x, y] = at(e), d = S.drag;\n",
    "  if (d.kind === 'new') { const v = d.s.v;\n",
    "    if (d.s.kind === 'box') { v[2] = x; v[3] = y; } else v[2] = Math.hypot(x - v[0], y - "
    "v[1]); }\n",
    "  else if (d.kind === 'handle') { const s = S.shapes[S.sel], v = s.v;\n",
    "    if (s.kind === 'box') { const ix = [[0, 1], [2, 1], [2, 3], [0, 3]][d.k]; v[ix[0]] = x; "
    "v[ix[1]] = y; }\n",
    "    else if (s.kind === 'circle') v[2] = Math.max(1, Math.hypot(x - v[0], y - v[1]));\n",
    "    else { v[2 * d.k] = x; v[2 * d.k + 1] = y; } }\n",
    "  else { const s = S.shapes[S.sel], dx = x - d.x, dy = y - d.y;\n",
    "    if (s.kind === 'circle') { s.v[0] = clampX(d.v[0] + dx); s.v[1] = clampY(d.v[1] + dy); "
    "}\n",
    "    else { let mx = dx, my = dy; for (let k = 0; k < d.v.length; k += 2) {\n",
    "        mx = Math.min(Math.max(mx, -d.v[k]), S.w - d.v[k]); my = Math.min(Math.max(my, -d.v[k "
    "+ 1]), S.h - d.v[k + 1]); }\n",
    "      for (let k = 0; k < d.v.length; k += 2) { s.v[k] = d.v[k] + mx; s.v[k + 1] = d.v[k + 1] "
    "+ my; } } }\n",
    "  draw();\n",
    "});\n",
    "window.addEventListener('mouseup', e => {\n",
    "  const d = S.drag; if (!d) return; S.drag = null;\n",
    "  if (d.kind === 'new') { norm(d.s); if (valid(d.s)) { remember(); S.shapes.push(d.s); S.sel "
    "= S.shapes.length - 1; } }\n",
    "  else if (S.sel >= 0) norm(S.shapes[S.sel]);\n",
    "  draw();\n",
    "});\n",
    "cv.addEventListener('dblclick', e => { if (S.poly) { S.poly.pop(); closePoly(); } });\n",
    "document.addEventListener('keydown', e => {\n",
    "  if (e.target && e.target.tagName === 'SELECT') return;\n",
    "  const k = e.key;\n",
    "  if ((e.ctrlKey || e.metaKey) && (k === 'z' || k === 'Z')) { e.preventDefault(); undo(); "
    "return; }\n",
    "  if (e.ctrlKey || e.metaKey || e.altKey) return;\n",
    "  if (k === 'b' || k === 'B') setTool('box');\n",
    "  else if (k === 'c' || k === 'C') setTool('circle');\n",
    "  else if (k === 'p' || k === 'P') setTool('polygon');\n",
    "  else if (k >= '1' && k <= '9') setClass(+k - 1);\n",
    "  else if (k === 'Delete' || k === 'Backspace') { e.preventDefault(); del(); }\n",
    "  else if (k === 'Escape') { S.poly = null; S.sel = -1; draw(); }\n",
    "  else if (k === 'Enter') { e.preventDefault(); if (S.poly) closePoly(); else save(); }\n",
    "  else if (k === 's' || k === 'S') { e.preventDefault(); save(); }\n",
    "  else if (k === 'n' || k === 'N' || k === 'ArrowRight') { e.preventDefault(); go(S.cur + 1); "
    "}\n",
    "  else if (k === 'ArrowLeft') { e.preventDefault(); go(S.cur - 1); }\n",
    "});\n",
    "function path(s) { const v = s.v, k = S.scale; g.beginPath();\n",
    "  if (s.kind === 'box') g.rect(v[0] * k, v[1] * k, (v[2] - v[0]) * k, (v[3] - v[1]) * k);\n",
    "  else if (s.kind === 'circle') g.arc(v[0] * k, v[1] * k, v[2] * k, 0, 2 * Math.PI);\n",
    "  else { g.moveTo(v[0] * k, v[1] * k); for (let i = 2; i < v.length; i += 2) g.lineTo(v[i] * "
    "k, v[i + 1] * k); g.closePath(); } }\n",
    "function draw() {\n",
    "  g.clearRect(0, 0, cv.width, cv.height);\n",
    "  if (S.img) { g.imageSmoothingEnabled = false; g.drawImage(S.img, 0, 0, cv.width, "
    "cv.height); }\n",
    "  const all = S.drag && S.drag.kind === 'new' ? S.shapes.concat([S.drag.s]) : S.shapes;\n",
    "  all.forEach((s, i) => { path(s); g.strokeStyle = color(s.cls); g.lineWidth = i === S.sel ? "
    "3 : 2;\n",
    "    g.fillStyle = color(s.cls) + '33'; g.fill(); g.stroke(); });\n",
    "  if (S.sel >= 0 && S.sel < S.shapes.length) handles(S.shapes[S.sel]).forEach(([x, y]) => {\n",
    "    g.fillStyle = '#fff'; g.strokeStyle = '#000'; g.lineWidth = 1;\n",
    "    g.fillRect(x * S.scale - 4, y * S.scale - 4, 8, 8); g.strokeRect(x * S.scale - 4, y * "
    "S.scale - 4, 8, 8); });\n",
    "  if (S.poly) { const k = S.scale; g.beginPath(); g.moveTo(S.poly[0][0] * k, S.poly[0][1] * "
    "k);\n",
    "    S.poly.forEach(([x, y]) => g.lineTo(x * k, y * k)); if (S.hover) g.lineTo(S.hover[0] * k, "
    "S.hover[1] * k);\n",
    "    g.strokeStyle = color(S.cls); g.lineWidth = 2; g.stroke(); }\n",
    "}\n",
    "init();\n",
    "})();\n",
    NULL,
};
