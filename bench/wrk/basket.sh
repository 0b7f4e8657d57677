#!/bin/bash
# Measures add-to-basket and get-basket (p50/p99, throughput) on a fresh
# demo store: bench/wrk/basket.sh sqlite|postgres [VITRIN_BINARY]
# PostgreSQL: a database "vitrinload" is (re)created on
# $PG_URL (default postgres://postgres@127.0.0.1:5432). Needs wrk, curl,
# python3 (SQLite) or psql (PostgreSQL).
set -euo pipefail
engine=${1:?sqlite or postgres}
bin=${2:-vitrin}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
addr=127.0.0.1:18081
pg=${PG_URL:-postgres://postgres@127.0.0.1:5432}
if [ "$engine" = sqlite ]; then
  url="sqlite:$work/vitrin.db"
else
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS vitrinload" -c "CREATE DATABASE vitrinload"
  url="$pg/vitrinload?sslmode=disable"
fi
"$bin" serve --demo --database "$url" --addr "$addr" --log-level warn > "$work/vitrin.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 240); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.5; done

# Five priced products, with stock enough for the whole run.
pick="SELECT p.id FROM products p JOIN product_prices pp ON pp.product_id = p.id AND pp.currency = 'TRY' WHERE p.active ORDER BY p.id LIMIT 5"
if [ "$engine" = sqlite ]; then
  python3 - "$work" "$pick" <<'PY'
import sqlite3, sys
work, pick = sys.argv[1], sys.argv[2]
c = sqlite3.connect(work + "/vitrin.db")
ids = [r[0] for r in c.execute(pick)]
c.execute("UPDATE products SET stock = 1000000000 WHERE id IN (%s)" % ",".join(map(str, ids)))
c.commit()
open(work + "/products.txt", "w").write("\n".join(map(str, ids)) + "\n")
PY
else
  psql "$url" -Atc "$pick" > "$work/products.txt"
  psql "$url" -qc "UPDATE products SET stock = 1000000000 WHERE id IN ($(paste -sd, "$work/products.txt"))"
fi

# 64 guest sessions, each with a basket of the five products.
: > "$work/cookies.txt"
for _ in $(seq 1 64); do
  cookie=""
  for p in $(cat "$work/products.txt"); do
    hdr=$(curl -s -D - -o /dev/null -H "Content-Type: application/json" ${cookie:+-H "Cookie: $cookie"} \
      -d "{\"product\": $p, \"quantity\": 1}" "http://$addr/baskets/basket/")
    [ -z "$cookie" ] && cookie=$(echo "$hdr" | grep -i '^set-cookie: osessionid=' | sed 's/^[Ss]et-[Cc]ookie: //; s/;.*//')
  done
  echo "$cookie" >> "$work/cookies.txt"
done

for conns in 4 16; do
  for method in POST GET; do
    echo "== $engine $method /baskets/basket/, $conns connections"
    BASKET_COOKIES="$work/cookies.txt" BASKET_PRODUCTS="$work/products.txt" METHOD=$method \
      wrk -t2 -c$conns -d10s --latency -s "$here/basket.lua" "http://$addr" |
      grep -E "50%|99%|Requests/sec|Non-2xx|status"
  done
done
