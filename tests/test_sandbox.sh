#!/usr/bin/env bash
# Hostile submissions against the sandbox, one attack each (see
# tests/fixtures/hostile/batch_classifier.c): read the labels, forge the
# scores, touch the store, kill the worker, leave processes behind, write
# outside, reach the network, flood the log and the protocol, and escape
# through the compile step. Each must fail, and the attacking submission's
# scores must equal an honest run's. Then the worker: it survives a
# submission that kills everything it can, and gives its claim back on
# SIGTERM. SKIPPED (exit 77) where this machine cannot make the sandbox.
set -uo pipefail
ramp=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
chmod 755 "$work"
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
skipped_parts=0 # parts that cannot run here: the test then reports skipped (77)

if ! "$ramp" sandbox-check > "$work/check.out" 2>&1; then
    cat "$work/check.out"
    echo "SKIPPED: this machine cannot make the sandbox"
    exit 77
fi

"$ramp" data fashion-mnist --out "$work/data" --limit-train 300 --limit-test 100 >/dev/null \
    || fail "cannot build the data"
data=$work/data/data
kit=$work/kit
mkdir -p "$kit/submissions"
sed 's/^n_splits *=.*/n_splits = 2/' "$src/kits/fashion_mnist/problem.ini" > "$kit/problem.ini"
db=$work/ramp.db
mark=$work/host_mark
port=$((20000 + RANDOM % 20000))
hostile=$src/tests/fixtures/hostile
variant() { # variant NAME FLAGS
    local d=$kit/submissions/$1
    mkdir -p "$d"
    cp "$src/tests/fixtures/submissions/image_preprocessor.c" "$hostile/batch_classifier.c" "$d/"
    cat > "$d/hostile.h" <<EOF
#define HOST_DATA "$data"
#define HOST_SUB "$d"
#define HOST_DB "$db"
#define HOST_MARK "$mark"
#define HOST_PORT $port
EOF
    echo "$2" > "$d/build.flags"
}
scores() { # scores JSON: each fold's test accuracy and the bagged test accuracy
    python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))["submissions"][0]
print(" ".join("%.6f" % f["test"]["acc"] for f in r["folds"]), "%.6f" % r["bagged"]["test"]["acc"])' "$1"
}
run_test() { # run_test NAME [ARGS...]: ramp test, output in $work/NAME.out, JSON in NAME.json
    local name=$1; shift
    "$ramp" test --kit "$kit" --data "$data" --submission "$name" --timeout 60 \
        --json "$work/$name.json" "$@" > "$work/$name.out" 2>&1
}
no_leak() { # no_leak NAME: no LEAK line in its output or fold logs
    if grep -h "^LEAK" "$work/$1.out" "$kit/submissions/$1/.ramp-build/"fold_*.log 2>/dev/null; then
        fail "$1: the attack got through (LEAK lines above)"
    fi
}

# the honest baseline
variant honest ""
run_test honest || { cat "$work/honest.out"; fail "the honest submission failed"; }
base=$(scores "$work/honest.json")
grep -q "Sandbox: on" "$work/honest.out" || fail "ramp test does not say the sandbox is on"
same_scores() { # same_scores NAME
    local got; got=$(scores "$work/$1.json")
    [ "$got" = "$base" ] || fail "$1: scores $got differ from the honest run's $base"
}

# 1. the labels: files, /proc, a walk of everything visible
variant labels -DATTACK_LABELS
run_test labels || { cat "$work/labels.out"; fail "labels: the run failed"; }
no_leak labels
grep -q "blocked: read the test labels" "$kit/submissions/labels/.ramp-build/fold_0.log" \
    || fail "labels: the attack did not run"
same_scores labels
ok "labels: no label file, no raw data set, no earlier fold's log, no host path in /proc; scores as the honest run's"
variant pagecache -DATTACK_PAGECACHE
run_test pagecache || { cat "$work/pagecache.out"; fail "pagecache: the run failed"; }
no_leak pagecache
grep -q "blocked: mincore" "$kit/submissions/pagecache/.ramp-build/fold_0.log" || fail "pagecache: the attack did not run"
same_scores pagecache
ok "pagecache: no residency oracle (preadv2 RWF_NOWAIT, mincore)"

# 2. forged scores: a setsid grandchild rewrites --save-output's files after the fold
variant forge -DATTACK_FORGE
run_test forge --save-output || { cat "$work/forge.out"; fail "forge: the run failed"; }
sleep 5
[ -e "$mark" ] && fail "forge: a process outlived the fold and wrote $mark"
grep -q "^test,1.0$" "$kit/submissions/forge/training_output/fold_0/scores.csv" \
    && fail "forge: scores.csv was rewritten"
same_scores forge
ok "forge: nothing outlived the fold; saved scores untouched"

# 3. processes left behind
variant survive -DATTACK_SURVIVE
run_test survive || { cat "$work/survive.out"; fail "survive: the run failed"; }
sleep 1
pgrep -f "sleep 31337" >/dev/null && { pkill -f "sleep 31337"; fail "survive: a setsid process outlived ramp test"; }
same_scores survive
ok "survive: no process outlives the fold"

# a fork bomb: bounded, and gone with the fold; an honest run beside it is unharmed
variant fork -DATTACK_FORK
run_test fork > /dev/null 2>&1 &
bomb=$!
run_test honest || { cat "$work/honest.out"; fail "fork: an honest run beside a fork bomb failed"; }
[ "$(scores "$work/honest.json")" = "$base" ] || fail "fork: the honest run's scores changed"
wait $bomb # its own fold may fail: at its limit, its loader cannot start a thread
no_leak fork
grep -q "forked [0-9]* processes before: Resource temporarily unavailable" \
    "$kit/submissions/fork/.ramp-build/fold_0.log" || fail "fork: no process limit met"
sleep 1
left=$(pgrep -c -x ramp-forkbomb)
[ "$left" -eq 0 ] || fail "fork: $left of its processes left behind"
ok "fork: the process limit holds, per sandbox; an honest run beside it is unharmed; nothing left"

# memory files, which no rlimit counts: the sandbox's control group does, where
# the host lets ramp make one
if grep -q "control groups: memory" <<< "$("$ramp" sandbox-check)"; then
    variant memfd -DATTACK_MEMFD
    run_test memfd --mem-limit 256 --timeout 60 && fail "memfd: 3 GiB of memory files under --mem-limit 256 went through"
    no_leak memfd
    grep -q "the memory limit" "$work/memfd.out" || { cat "$work/memfd.out"; fail "memfd: not stopped by the memory limit"; }
    ok "memfd: the sandbox's memory is counted as a whole (control group)"
else
    echo "SKIP: memfd: this host lets ramp make no memory control group (rlimits only)"
    skipped_parts=$((skipped_parts + 1))
fi

# 4. writing outside its private /tmp
variant write -DATTACK_WRITE
run_test write || { cat "$work/write.out"; fail "write: the run failed"; }
no_leak write
for f in "$data/imgs/planted.png" "$kit/submissions/write/planted" "$mark"; do
    [ -e "$f" ] && fail "write: $f was created"
done
same_scores write
ok "write: images, its folder, the host's /tmp and the system are read-only or invisible"

# 5. the network (a listener on loopback)
python3 - "$port" > "$work/listener.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4); s.settimeout(60)
try:
    c, _ = s.accept(); print("CONNECTED"); sys.stdout.flush()
except socket.timeout:
    pass
EOF
listener=$!
sleep 0.5
variant net -DATTACK_NET
run_test net || { cat "$work/net.out"; fail "net: the run failed"; }
kill $listener 2>/dev/null; wait $listener 2>/dev/null
no_leak net
grep -q CONNECTED "$work/listener.out" && fail "net: the fold reached 127.0.0.1:$port"
same_scores net
ok "net: no network inside the fold"

# 6. output and protocol floods
variant flood -DATTACK_FLOOD
run_test flood || { cat "$work/flood.out"; fail "flood: the run failed"; }
size=$(stat -c %s "$kit/submissions/flood/.ramp-build/fold_0.log")
[ "$size" -le $((8 * 1024 * 1024 + 4096)) ] || fail "flood: the log grew to $size bytes"
grep -q "more bytes of output dropped" "$kit/submissions/flood/.ramp-build/fold_0.log" \
    || fail "flood: the log does not say what it dropped"
same_scores flood
variant protocol -DATTACK_PROTOCOL
run_test protocol || { cat "$work/protocol.out"; fail "protocol: the run failed"; }
no_leak protocol
grep -q $'\033' "$work/protocol.out" && fail "protocol: an escape sequence reached the terminal"
same_scores protocol
ok "flood: the log keeps 8 MiB and says so; lies on the protocol change nothing"

# 7. the compile step: flags that run programs, includes of host files, time
mkdir -p "$work/secret"; echo "SECRET-7f3a" > "$work/secret/key.txt"
variant flags '-wrapper sh,-c,touch${IFS}'"$mark"
run_test flags && fail "flags: -wrapper was accepted"
grep -q "build.flags: '-wrapper' is not allowed" "$work/flags.out" || { cat "$work/flags.out"; fail "flags: no clear refusal"; }
[ -e "$mark" ] && fail "flags: the wrapper ran"
for f in "-B/tmp" "-fplugin=/tmp/x.so" "-specs=/tmp/x" "@/etc/passwd" "-Wl,-rpath,/tmp" "-I/etc" "-I/usr/../etc" "-DX=\$(id)"; do
    variant flags "$f"
    run_test flags && fail "flags: '$f' was accepted"
    grep -q "is not allowed" "$work/flags.out" || { cat "$work/flags.out"; fail "flags: '$f' not refused clearly"; }
done
variant include ""
sed -i "1i #include \"$work/secret/key.txt\"" "$kit/submissions/include/batch_classifier.c"
run_test include && fail "include: a host file was included"
grep -q "SECRET-7f3a" "$work/include.out" && fail "include: the host file's contents leaked"
grep -q "batch_classifier.c:1:10: fatal error" "$work/include.out" \
    || { cat "$work/include.out"; fail "include: the compiler's message does not name the file relative to the submission"; }
sed -n '/^\$ cc/,$p' "$work/include.out" | grep -q "$kit/submissions" \
    && fail "include: the compiler's output shows the submission's host path"
variant slow_compile ""
sed -i '1i #include "/dev/zero"' "$kit/submissions/slow_compile/batch_classifier.c"
t0=$(date +%s)
run_test slow_compile --compile-timeout 3 && fail "slow_compile: compiled"
t1=$(date +%s)
[ $((t1 - t0)) -le 30 ] || fail "slow_compile: took $((t1 - t0)) s with a 3 s limit"
grep -Eq "stopped after 3 s|does not compile" "$work/slow_compile.out" || { cat "$work/slow_compile.out"; fail "slow_compile: no clear error"; }
ok "compile: flags off the allowlist refused, host files invisible, messages relative, time bounded"

# 8. the platform: the store, killing the worker, SIGTERM
if grep -q "built without the platform" <<< "$("$ramp" worker --help 2>&1)"; then
    echo "SKIPPED: ramp was built without the platform: the worker's part is not run;" \
         "every attack that ran failed"
    exit 77
fi
"$ramp" event --db "$db" --kit "$kit" --data "$data" >/dev/null || fail "event"
token=$("$ramp" team add --db "$db" alice | tail -1)
"$ramp" team add --db "$db" bob >/dev/null
hash_before=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select group_concat(token_hash) from team").fetchone()[0])' "$db")
for v in store kill progflood fake_timeout; do
    variant "$v" "-DATTACK_$(echo $v | tr a-z A-Z)"
    "$ramp" submit --db "$db" --team alice --name "$v" "$kit/submissions/$v" >/dev/null || fail "submit $v"
done
"$ramp" submit --db "$db" --team bob --name honest "$kit/submissions/honest" >/dev/null || fail "submit honest"
# a dead worker's folder (its PID no longer runs), with a team's code in it
true & dead=$!; wait $dead
mkdir -p "$work/wd/ramp-worker-$dead-sub7-AbCdEf/submission"
echo "team code" > "$work/wd/ramp-worker-$dead-sub7-AbCdEf/submission/batch_classifier.c"
timeout 300 "$ramp" worker --db "$db" --drain --timeout 60 --workdir "$work/wd" > "$work/worker.out" 2>&1
rc=$?
[ -e "$work/wd/ramp-worker-$dead-sub7-AbCdEf" ] && fail "worker: a dead worker's folder was not removed"
[ -z "$(ls -A "$work/wd")" ] || fail "worker: folders left in its work folder: $(ls "$work/wd")"
[ $rc -eq 0 ] || { cat "$work/worker.out"; fail "worker: exit code $rc (killed by the submission?)"; }
grep -q "honest): tested" "$work/worker.out" || { cat "$work/worker.out"; fail "worker: the honest submission after the attacks was not trained"; }
grep -q "fake_timeout): training_error" "$work/worker.out" || fail "worker: a fold that claims a time-out is not a training_error"
python3 - "$db" <<'EOF' || fail "progflood: the stored log is not bounded"
import sqlite3, sys
n = sqlite3.connect(sys.argv[1]).execute("select length(log) from submission where name='progflood'").fetchone()[0]
print("progflood log:", n, "bytes"); sys.exit(0 if n <= 256 * 1024 else 1)
EOF
hash_after=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select group_concat(token_hash) from team").fetchone()[0])' "$db")
[ "$hash_before" = "$hash_after" ] || fail "store: a team's token hash changed"
python3 - "$db" <<'EOF' || fail "store: an attack's log shows a leak"
import sqlite3, sys
for name, log in sqlite3.connect(sys.argv[1]).execute("select name, log from submission"):
    if log and "LEAK" in log:
        print(name, [l for l in log.splitlines() if "LEAK" in l]); sys.exit(1)
EOF
ok "worker: the store is out of reach, the worker survives kill(-1) and trains the next one; dead workers' folders removed, its own too"

variant slow -DATTACK_SLOW
"$ramp" submit --db "$db" --team bob --name slow "$kit/submissions/slow" >/dev/null || fail "submit slow"
"$ramp" worker --db "$db" --timeout 120 > "$work/worker2.out" 2>&1 &
wpid=$!
for _ in $(seq 100); do grep -q "slow): training" "$work/worker2.out" && break; sleep 0.2; done
grep -q "slow): training" "$work/worker2.out" || { kill $wpid; fail "slow: never claimed"; }
sleep 1
kill -TERM $wpid
t0=$(date +%s)
wait $wpid
t1=$(date +%s)
[ $((t1 - t0)) -le 10 ] || fail "SIGTERM: the worker took $((t1 - t0)) s to stop"
state=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select state from submission where name=?", ("slow",)).fetchone()[0])' "$db")
[ "$state" = new ] || fail "SIGTERM: the claim was not given back (state $state)"
ls -d /tmp/ramp-worker-$wpid-* 2>/dev/null && fail "SIGTERM: the work folder is left behind"
ok "worker: SIGTERM stops the training and gives the claim back at once"

if [ "$skipped_parts" -gt 0 ]; then
    echo "SKIPPED: $skipped_parts part(s) could not run here (above); every attack that ran failed"
    exit 77
fi
echo "test_sandbox: all attacks failed"
