#!/usr/bin/env bash
# The submission page's previews (docs/platform.md, "Previews"): a small
# detection kit, a segmentation kit (`ramp data objects`) and a circles kit
# (`ramp data circles`),
# each kit's starting kit submitted, trained by `ramp worker --drain`, and
# the page of `ramp serve` read with the team's session:
#  - detection: the first 6 test images, each an inline SVG whose rect
#    elements are the bag's objects of confidence >= 0.3, equal (class,
#    confidence, box) to `ramp test --save-output`'s y_pred_test_bagged.csv
#    on the same kit (circles: circle elements against its x, y, r); the
#    images served by (submission, position) are the kit's bytes; class
#    names drawn; the page has a CSP and no script.
#  - segmentation: each preview's overlay PNG decodes to the image's size,
#    and equals the palette applied to ramp test's bagged class map (the
#    class named background transparent).
#  - another team, or no session: the page without previews, the images
#    404; the organiser's token sees them.
# Skipped (77) without Debian's Fashion-MNIST.
set -uo pipefail
ramp=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
work=$(cd "$work" && pwd)
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] \
    || { echo "SKIPPED: no Fashion-MNIST (dataset-fashion-mnist)"; exit 77; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT
code() { curl -s -o "$work/resp" -w '%{http_code}' "$@"; }

# kit KIND (det|seg): the kit, ramp test's saved bag, a store with the starting
# kit trained by the worker, a server; sets url, jar (alice), jar2 (bob), admin
kit() {
    local k=$1 name gen=objects extra=()
    case $k in
        seg) name=objects_segmentation; extra=(--segmentation) ;;
        circ) name=circles; gen=circles ;;
        *) name=objects_detection ;;
    esac
    "$ramp" data $gen --out "$work/$k" --n-train 60 --n-test 12 --seed 3 "${extra[@]}" >/dev/null \
        || fail "$k: ramp data $gen"
    sed 's/^n_splits *=.*/n_splits = 2/' "$src/kits/$name/problem.ini" > "$work/$k/problem.ini"
    mkdir -p "$work/$k/submissions"
    cp -r "$src/kits/$name/submissions/starting_kit" "$work/$k/submissions/"
    "$ramp" test --kit "$work/$k" --save-output > "$work/$k.test.out" 2>&1 \
        || { cat "$work/$k.test.out"; fail "$k: ramp test"; }
    db=$work/$k.db
    "$ramp" event --db "$db" --kit "$work/$k" --data "$work/$k/data" >/dev/null || fail "$k: event"
    tok_a=$("$ramp" team add --db "$db" alice) || fail "team add"
    tok_b=$("$ramp" team add --db "$db" bob) || fail "team add"
    admin=$("$ramp" event --db "$db" --admin-token) || fail "admin token"
    "$ramp" submit --db "$db" --team alice --name sk "$work/$k/submissions/starting_kit" >/dev/null \
        || fail "$k: submit"
    "$ramp" worker --db "$db" --drain --timeout 300 --workdir "$work" > "$work/$k.worker.out" 2>&1 \
        || { cat "$work/$k.worker.out"; fail "$k: worker"; }
    grep -q "submission 1 (alice/sk): tested" "$work/$k.worker.out" || { cat "$work/$k.worker.out"; fail "$k: not tested"; }
    grep -q "preview:" "$work/$k.worker.out" && { cat "$work/$k.worker.out"; fail "$k: preview error"; }
    "$ramp" serve --db "$db" --listen 127.0.0.1:0 > "$work/$k.serve.out" 2>&1 & pids+=($!)
    for _ in $(seq 100); do grep -q serving "$work/$k.serve.out" && break; sleep 0.1; done
    url=$(sed -n 's|^serving \(http://[0-9.:]*\)/$|\1|p' "$work/$k.serve.out")
    [ -n "$url" ] || { cat "$work/$k.serve.out"; fail "$k: serve did not start"; }
    jar=$work/$k.jar jar2=$work/$k.jar2
    for j in "$jar:$tok_a" "$jar2:$tok_b"; do
        local pre c
        pre=$(curl -s -c "${j%%:*}" "$url/login" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')
        c=$(curl -s -b "${j%%:*}" -c "${j%%:*}" -o /dev/null -w '%{http_code}' -d "csrf=$pre&token=${j#*:}" "$url/login")
        [ "$c" = 303 ] || fail "$k: log in: HTTP $c"
    done
}

# who: alice and the organiser see the previews; bob and nobody do not
access() {
    local k=$1 c
    c=$(code -D "$work/$k.hdr" -b "$jar" "$url/submission/1"); [ "$c" = 200 ] || fail "$k: page: HTTP $c"
    cp "$work/resp" "$work/$k.page.html"
    grep -q 'id="preview"' "$work/$k.page.html" || fail "$k: no preview on the team's page"
    grep -qi "^Content-Security-Policy: default-src 'none'; img-src 'self'" "$work/$k.hdr" || fail "$k: no CSP"
    grep -qi '<script' "$work/$k.page.html" && fail "$k: a script on the page"
    [ "$(grep -c '<figure class="pv">' "$work/$k.page.html")" = 6 ] || fail "$k: not 6 previews"
    for p in 0 5; do
        id=$(printf 'test_%05d.png' $p)
        c=$(code -b "$jar" "$url/submission/1/preview/$p/image"); [ "$c" = 200 ] || fail "$k: image $p: HTTP $c"
        cmp -s "$work/resp" "$work/$k/data/imgs/$id" || fail "$k: image $p is not $id"
    done
    for bad in 6 -1 x 0/../../1 "0/image/" 99999999999999999999; do
        c=$(code -b "$jar" --path-as-is "$url/submission/1/preview/$bad/image"); [ "$c" = 404 ] || fail "$k: preview '$bad': HTTP $c"
    done
    for who in "-b $jar2" ""; do
        # shellcheck disable=SC2086
        c=$(code $who "$url/submission/1"); [ "$c" = 200 ] || fail "$k: page for others: HTTP $c"
        grep -q 'preview' "$work/resp" && fail "$k: another team (or nobody) sees the previews"
        # shellcheck disable=SC2086
        c=$(code $who "$url/submission/1/preview/0/image"); [ "$c" = 404 ] || fail "$k: image for others: HTTP $c"
    done
    c=$(code -H "Authorization: Bearer $admin" "$url/submission/1"); [ "$c" = 200 ] && grep -q 'id="preview"' "$work/resp" \
        || fail "$k: the organiser does not see the previews"
    c=$(code -H "Authorization: Bearer $admin" "$url/submission/1/preview/0/image"); [ "$c" = 200 ] || fail "$k: organiser's image: HTTP $c"
}

# ---- detection -----------------------------------------------------------------------------
kit det
access det
# check_dets KIND: the drawn objects are the saved bag's
check_dets() {
/usr/bin/python3 - "$work/$1.page.html" "$work/$1/submissions/starting_kit/training_output/y_pred_test_bagged.csv" \
    "$work/$1/data/class_codes.csv" "$1" <<'PY' || fail "$1: the drawn objects are not the bag's"
import csv, html, re, sys
page = open(sys.argv[1]).read()
figs = re.findall(r'<figure class="pv">(.*?)</figure>', page, re.S)
assert len(figs) == 6, len(figs)
circ = sys.argv[4] == 'circ'
bag = {}
for r in csv.DictReader(open(sys.argv[2])):
    if r['class'] == '':
        continue
    keys = ('x', 'y', 'r') if circ else ('x0', 'y0', 'x1', 'y1')
    bag.setdefault(r['id'], []).append((int(r['class']), float(r['confidence']),
                                         *(float(r[k]) for k in keys)))
names = {}
try:
    for r in csv.DictReader(open(sys.argv[3])):
        names[int(r[list(r.keys())[0]])] = r[list(r.keys())[1]]
except FileNotFoundError:
    pass
n_drawn = 0
for i, f in enumerate(figs):
    cap = re.search(r'<figcaption>(.*?)</figcaption>', f).group(1)
    assert cap == 'test_%05d.png' % i, cap
    assert 'href="/submission/1/preview/%d/image"' % i in f
    assert re.search(r'viewBox="0 0 128 128"', f), f[:200]
    want = sorted([o for o in bag.get(cap, []) if o[1] >= 0.3], key=lambda o: -o[1])[:50]
    got = []
    if circ:
        assert '<rect' not in f
        for m in re.finditer(r'<circle class="det" data-class="(\d+)" data-conf="([^"]+)" cx="([^"]+)" '
                             r'cy="([^"]+)" r="([^"]+)"', f):
            got.append((int(m.group(1)), *(float(v) for v in m.groups()[1:])))
    else:
        assert '<circle' not in f
        for m in re.finditer(r'<rect class="det" data-class="(\d+)" data-conf="([^"]+)" x="([^"]+)" '
                             r'y="([^"]+)" width="([^"]+)" height="([^"]+)"', f):
            k, c, x, y, w, h = m.groups()
            x, y, w, h = float(x), float(y), float(w), float(h)
            got.append((int(k), float(c), x, y, x + w, y + h))
    assert len(got) == len(want), (cap, got, want)
    for g, w in zip(sorted(got), sorted(want)):
        assert g[0] == w[0] and all(abs(a - b) <= 1e-5 * max(1, abs(b)) for a, b in zip(g[1:], w[1:])), (cap, g, w)
    texts = re.findall(r'<text [^>]*>([^<]*)</text>', f)
    assert len(texts) == len(got), texts
    for t, g in zip(texts, got):
        nm = html.unescape(t).rsplit(' ', 1)
        assert nm[1] == '%.2f' % g[1], (t, g)
        if g[0] in names:
            assert nm[0] == names[g[0]], (t, names[g[0]])
    n_drawn += len(got)
assert n_drawn > 0, 'nothing drawn: the test would not see a wrong box'
print(sys.argv[4] + ': %d objects drawn on 6 images, equal to the saved bag' % n_drawn)
PY
}
check_dets det
ok "detection: 6 previews, the bag's objects (conf >= 0.3) drawn as SVG rects with class names, the kit's image bytes; others 404"
kill -9 "${pids[-1]}" 2>/dev/null; wait "${pids[-1]}" 2>/dev/null

# ---- circles --------------------------------------------------------------------------------
kit circ
access circ
check_dets circ
ok "circles: 6 previews, the bag's circles (conf >= 0.3) drawn as SVG circles"
kill -9 "${pids[-1]}" 2>/dev/null; wait "${pids[-1]}" 2>/dev/null

# ---- segmentation ---------------------------------------------------------------------------
kit seg
access seg
for p in 0 1 2 3 4 5; do
    grep -q "<image class=\"mask\" href=\"/submission/1/preview/$p/overlay.png\"" "$work/seg.page.html" \
        || fail "seg: no overlay image $p"
    c=$(code -b "$jar" "$url/submission/1/preview/$p/overlay.png"); [ "$c" = 200 ] || fail "seg: overlay $p: HTTP $c"
    cp "$work/resp" "$work/seg.ov$p.png"
done
c=$(code -b "$jar2" "$url/submission/1/preview/0/overlay.png"); [ "$c" = 404 ] || fail "seg: overlay for bob: HTTP $c"
/usr/bin/python3 - "$work" <<'PY' || fail "seg: the overlays are not the bag's class maps"
import sys
import numpy as np
from PIL import Image
w = sys.argv[1]
pal = np.array([[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
                [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 190]], np.uint8)
import csv
bgk = [int(r['class']) for r in csv.DictReader(open(w + '/seg/data/seg_class_codes.csv'))
       if r['name'].lower() == 'background']
assert bgk == [0], bgk
bgk = bgk[0]
for p in range(6):
    idn = 'test_%05d.png' % p
    ov = Image.open('%s/seg.ov%d.png' % (w, p))
    im = Image.open('%s/seg/data/imgs/%s' % (w, idn))
    assert ov.size == im.size and ov.mode == 'RGBA', (ov.size, im.size, ov.mode)
    m = np.array(Image.open('%s/seg/submissions/starting_kit/training_output/y_pred_test_bagged/%s' % (w, idn)))
    want = np.zeros(m.shape + (4,), np.uint8)
    cls = m < 255
    want[cls, :3] = pal[m[cls] % 10]
    want[cls, 3] = 128
    want[m == bgk] = 0  # the class named background is not drawn
    assert np.array_equal(np.array(ov), want), idn
    assert len(np.unique(m)) > 1, 'a one-class map would not catch a misplaced overlay'
print('seg: 6 overlays equal the saved bag under the palette')
PY
ok "segmentation: 6 previews, each overlay PNG the image's size and the bag's class map coloured; others 404"
