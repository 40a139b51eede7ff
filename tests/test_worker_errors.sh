#!/usr/bin/env bash
# Failing submissions through the platform: a store (SQLite) with the
# built-in fashion-MNIST kit as its event, one submission that does not
# compile, one that crashes in fit and a good one; `ramp worker --drain`
# trains them. Each failed one must end stored in its error state with the
# error's text in its log, and the leaderboard must rank the good one only.
set -uo pipefail
ramp=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
chmod 755 "$work"
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
command -v python3 >/dev/null || { echo "SKIPPED: no python3 to read the store"; exit 77; }

"$ramp" data fashion-mnist --out "$work/data" --limit-train 300 --limit-test 100 >/dev/null \
    || fail "cannot build the data"
kit=$work/kit
mkdir -p "$kit/submissions"
sed 's/^n_splits *=.*/n_splits = 2/' "$src/kits/fashion_mnist/problem.ini" > "$kit/problem.ini"
variant() { # variant NAME FLAGS
    local d=$kit/submissions/$1
    mkdir -p "$d"
    cp "$src/tests/fixtures/submissions/image_preprocessor.c" "$src/tests/fixtures/submissions/batch_classifier.c" "$d/"
    echo "$2" > "$d/build.flags"
}
variant good ""
variant compile_error "" # made not to compile in the store, below
variant segfault -DBUG_SEGFAULT # raise(SIGSEGV) in batch_classifier_fit

db=$work/ramp.db
"$ramp" event --db "$db" --kit "$kit" --data "$work/data/data" >/dev/null || fail "event"
"$ramp" team add --db "$db" alice >/dev/null || fail "team add"
for v in compile_error segfault good; do
    "$ramp" submit --db "$db" --team alice --name "$v" "$kit/submissions/$v" >/dev/null || fail "submit $v"
done
# `ramp submit` compiles first and refuses what does not build: change the
# stored build.flags behind it, as when the worker's compiler refuses what
# the submitting host's accepted
python3 - "$db" <<'PY' || fail "cannot change compile_error's stored build.flags"
import hashlib, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
data = b"-DBUG_COMPILE\n"
h = hashlib.sha256(data).hexdigest()
con.execute("insert or ignore into blob (hash, size, data) values (?, ?, ?)", (h, len(data), data))
n = con.execute("update submission_file set hash = ? where path = 'build.flags' and submission_id ="
                " (select id from submission where name = 'compile_error')", (h,)).rowcount
con.commit()
sys.exit(0 if n == 1 else 1)
PY
# the sandbox where this machine can make it; the error path is the same without
insecure=()
if ! "$ramp" sandbox-check >/dev/null 2>&1; then
    echo "note: no sandbox here: the worker runs with --insecure"; insecure=(--insecure)
fi
mkdir -p "$work/wd"
timeout 600 "$ramp" worker --db "$db" --drain --timeout 60 --workdir "$work/wd" "${insecure[@]}" \
    > "$work/worker.out" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$work/worker.out"; fail "worker: exit code $rc"; }
for v in compile_error segfault; do
    grep -q "/$v): training_error" "$work/worker.out" || { cat "$work/worker.out"; fail "worker: $v not reported as training_error"; }
done
grep -q "/good): tested" "$work/worker.out" || { cat "$work/worker.out"; fail "worker: the good submission was not tested"; }

# the stored state and log: state, then each text the log must hold
check() { # check NAME STATE TEXT...
    python3 - "$db" "$@" <<'PY'
import sqlite3, sys
db, name, state, texts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
row = sqlite3.connect(db).execute(
    "select state, log, finished_at from submission where name = ?", (name,)).fetchone()
if row is None:
    sys.exit(f"{name}: not in the store")
got, log, finished = row
if got != state:
    sys.exit(f"{name}: state {got!r}, expected {state!r}; log:\n{log}")
if finished is None:
    sys.exit(f"{name}: no finished_at")
for t in texts:
    if t not in (log or ""):
        sys.exit(f"{name}: the stored log lacks {t!r}; log:\n{log}")
PY
}
check compile_error training_error "does not compile" "error:" "training_error: " \
    || fail "compile_error: wrong stored state or log"
ok "a submission that does not compile: training_error, the compiler's message stored"
check segfault training_error "crashed with signal 11" "training_error: " \
    || fail "segfault: wrong stored state or log"
ok "a submission that crashes in fit: training_error, the signal stored"
check good scored || fail "good: not tested"

# the leaderboard ranks the good submission only; the failed ones are listed
# among the submissions with their state
"$ramp" leaderboard --db "$db" --format json > "$work/board.json" || fail "leaderboard"
python3 - "$work/board.json" <<'PY' || fail "leaderboard: a failed submission is ranked, or the good one is not"
import json, sys
d = json.load(open(sys.argv[1]))
ranked = [r["submission"] for r in d["rows"]]
assert ranked == ["good"], ranked
states = {s["submission"]: s["state"] for s in d["submissions"]}
assert states.get("compile_error") == "training_error", states
assert states.get("segfault") == "training_error", states
PY
"$ramp" leaderboard --db "$db" --format csv > "$work/board.csv" || fail "leaderboard csv"
grep -q "good" "$work/board.csv" || fail "leaderboard csv: no good submission"
grep -Eq "compile_error|segfault" "$work/board.csv" && fail "leaderboard csv: a failed submission is ranked"
ok "leaderboard: the failed submissions are not ranked"
echo "test_worker_errors: passed"
