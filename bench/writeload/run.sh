#!/usr/bin/env bash
# Measures the write path on a fresh demo store: add to basket (64
# closed-loop shoppers; then 64 shoppers at fixed arrival rates) and whole
# checkouts (32 closed-loop shoppers), with a CPU profile of Vitrin under
# the add-to-basket load, and the CPU of Vitrin, of PostgreSQL (every
# postgres process on the machine) and of the driver.
#
#   bench/writeload/run.sh postgres|sqlite VITRIN_BINARY WRITELOAD_BINARY OUT_DIR
#
# Knobs (environment): PORT (18401), PGURL (postgres://postgres@127.0.0.1:5432),
# DB (the PostgreSQL database, created and dropped: writeload), RATES (the
# open runs' arrival rates, "2000 500"), SECONDS_EACH (20).
set -euo pipefail
engine=$1 vitrin=$2 writeload=$3 out=$4
port=${PORT:-18401} pg=${PGURL:-postgres://postgres@127.0.0.1:5432} db=${DB:-writeload}
rates=${RATES:-2000 500} seconds=${SECONDS_EACH:-20}
base=http://127.0.0.1:$port
mkdir -p "$out"
work=$(mktemp -d)
if [ "$engine" = postgres ]; then
	url="$pg/$db?sslmode=disable"
	psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
else
	url="sqlite:$work/vitrin.db"
fi
"$vitrin" serve --demo --database "$url" --addr "127.0.0.1:$port" --pprof --log-level warn >"$out/vitrin.log" 2>&1 &
server=$!
cleanup() {
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	[ "$engine" = postgres ] && psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db" || true
	rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 240); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.5; done
# Deep stock, so a long run never sells out (the model's stock is not
# served: baskets and checkout read the database).
if [ "$engine" = postgres ]; then
	psql "$url" -qc "UPDATE products SET stock = 100000000"
else
	python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('UPDATE products SET stock = 100000000'); c.commit()" "$work/vitrin.db"
fi
# CPU seconds of every postgres process (other databases' too).
pgcpu() {
	local ticks=0
	for p in $(pgrep -x postgres || true); do
		ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$ticks"
}
load() {
	local name=$1; shift
	local before; before=$(pgcpu)
	local t0; t0=$(date +%s.%N)
	"$writeload" -base "$base" -pid "$server" -duration "${seconds}s" "$@" | tee "$out/$name.txt"
	local t1; t1=$(date +%s.%N)
	awk -v a="$before" -v b="$(pgcpu)" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "  postgres CPU %.1f s (%.0f%% of one core, every postgres process, set-up included)\n", (b-a)/100, (b-a)/(t1-t0) }' | tee -a "$out/$name.txt"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/load.txt"
if [ "$engine" = postgres ]; then
	# With autovacuum off (as on a CI machine) the basket tables never get
	# statistics: the planner then guesses 0.5 % of a growing table per
	# basket, turns to hash joins and sequential scans, and the figures
	# fall over the run. Production runs with it on, PostgreSQL's default.
	echo "autovacuum: $(psql "$url" -tAc 'SHOW autovacuum')" | tee -a "$out/load.txt"
fi
load basket-closed -mode basket -shoppers 64
for rate in $rates; do
	load "basket-open-$rate" -mode basket -shoppers 64 -rate "$rate"
done
# The profile: 10 s of Vitrin's CPU while 64 shoppers add in closed loops.
curl -s -o "$out/cpu-basket.pprof" "$base/debug/pprof/profile?seconds=10" &
curl_pid=$!
"$writeload" -base "$base" -mode basket -shoppers 64 -duration 12s >/dev/null
wait "$curl_pid"
load checkout-closed -mode checkout -shoppers 32
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
go tool pprof -top -nodecount 40 "$vitrin" "$out/cpu-basket.pprof" >"$out/cpu-basket.top.txt" 2>/dev/null || true
