#!/usr/bin/env bash
# The academy day over HTTP, 64 in flight, against: one daemon on SQLite, one daemon on
# PostgreSQL, two daemons on one PostgreSQL. Prints, for each: requests/s, p99 of next and
# answer, the digest, and the CPU seconds of the runner, of each daemon and of the PostgreSQL
# backends serving them.
#
#   PGPASSWORD=… Benchmarks/cluster/http_day.sh .build/release/certsim postgres://USER@127.0.0.1:PORT/postgres [configs…]
#
# configs: sqlite, pg1, pg2 (default: all three); CERTSIM_HTTPDAY_KEEP=DIR keeps each run's full
# text summary there. The PostgreSQL user must be allowed to create
# databases (one fresh database per run). Every daemon is stopped at the end; bounded: each run
# 1,800 s.
set -euo pipefail
certsim=${1:?certsim binary}
admin=${2:?postgres://USER@HOST:PORT/DB of a user who may create databases}
shift 2
configs=${*:-sqlite pg1 pg2}
scenario=Scenarios/academy-day.yaml
seed=78000
bank=Scenarios/banks/crcn-synthetic-1.json
work=$(mktemp -d /tmp/certsim-httpday.XXXXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# utime + stime of a process, in seconds.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"; }
# CPU of the PostgreSQL backends connected to database $1 (those still alive at the end).
pg_cpu() {
    local total=0 pid
    for pid in $(pgrep -f "postgres: .* $1 " || true); do
        total=$(awk -v t="$total" -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", t + ($14 + $15) / hz }' "/proc/$pid/stat")
    done
    echo "$total"
}

start_daemon() { # name store-args… ; sets port_$name, pid_$name
    local name=$1; shift
    local port; port=$(free_port)
    "$certsim" serve "$@" --socket "$work/$name.sock" --http "127.0.0.1:$port" --bank "$bank" --seed "$seed" \
        --log-level error >"$work/$name.out" 2>&1 &
    local pid=$!
    pids+=("$pid")
    for _ in $(seq 600); do
        grep -q "candidate API on" "$work/$name.out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || { cat "$work/$name.out" >&2; exit 1; }
        sleep 0.1
    done
    eval "port_$name=$port pid_$name=$pid"
}

report() { # config runner-output names…
    local config=$1 out=$2; shift 2
    local wall requests
    wall=$(grep -oE '^wall [0-9.]+' "$out" | awk '{print $2}')
    requests=$(grep -oE '^  (alert|answer|control|next|start) +n=[0-9]+' "$out" | awk -F'n=' '{s += $2} END {print s}')
    printf '%s: %s requests in %s s = %.0f requests/s; %s; %s\n' "$config" "$requests" "$wall" \
        "$(echo "$requests / $wall" | bc -l)" \
        "$(grep -E '^  (next|answer) ' "$out" | awk '{print $1, $7, $8, "ms"}' | tr '\n' ' ')" "$(grep -E '^digest' "$out")"
    printf '  cpu: runner %s s' "$(cat "$work/runner.cpu")"
    for name in "$@"; do printf ', %s %s s' "$name" "$(eval echo "\$cpu_$name")"; done
    printf '\n'
}

run_day() { # config controls… → runner output in $work/$config.txt
    local config=$1; shift
    /usr/bin/time -f '%U %S' -o "$work/runner.time" timeout 1800 "$certsim" run "$scenario" "$@" \
        --time-scale 0 --concurrency 64 --quiet >"$work/$config.txt" 2>&1 || true
    # A broken latency threshold of the scenario exits 1 but the run is complete: a digest says so.
    grep -q '^digest' "$work/$config.txt" || { tail -20 "$work/$config.txt" >&2; exit 1; }
    # The last line (time writes "Command exited with non-zero status" first when it did).
    tail -1 "$work/runner.time" | awk '{ printf "%.1f", $1 + $2 }' >"$work/runner.cpu"
    if [[ -n ${CERTSIM_HTTPDAY_KEEP:-} ]]; then mkdir -p "$CERTSIM_HTTPDAY_KEEP"; cp "$work/$config.txt" "$CERTSIM_HTTPDAY_KEEP/"; fi
}

fresh_db() {
    local name=httpday_$1_$$
    psql "$admin" -qc "CREATE DATABASE $name" >/dev/null
    echo "${admin%/*}/$name"
}

for config in $configs; do
    case $config in
    sqlite)
        start_daemon s --db "$work/store.sqlite"
        run_day sqlite --daemon "http://127.0.0.1:$port_s" --control "$work/s.sock" --db "$work/store.sqlite"
        cpu_s=$(cpu_of "$pid_s"); kill "$pid_s"; wait "$pid_s" 2>/dev/null || true
        report sqlite "$work/sqlite.txt" s ;;
    pg1)
        url=$(fresh_db one)
        start_daemon p --db "$url" --daemon-id p
        run_day pg1 --daemon "http://127.0.0.1:$port_p" --control "$work/p.sock"
        cpu_p=$(cpu_of "$pid_p"); cpu_postgres=$(pg_cpu "${url##*/}"); kill "$pid_p"; wait "$pid_p" 2>/dev/null || true
        report "pg, one daemon" "$work/pg1.txt" p postgres ;;
    pg2)
        url=$(fresh_db two)
        start_daemon a --db "$url" --daemon-id a
        start_daemon b --db "$url" --daemon-id b
        run_day pg2 --daemon "http://127.0.0.1:$port_a" --control "$work/a.sock" \
            --daemon "http://127.0.0.1:$port_b" --control "$work/b.sock"
        cpu_a=$(cpu_of "$pid_a"); cpu_b=$(cpu_of "$pid_b"); cpu_postgres=$(pg_cpu "${url##*/}")
        kill "$pid_a" "$pid_b"; wait "$pid_a" "$pid_b" 2>/dev/null || true
        report "pg, two daemons" "$work/pg2.txt" a b postgres ;;
    *) echo "unknown config $config (sqlite, pg1, pg2)" >&2; exit 2 ;;
    esac
done
