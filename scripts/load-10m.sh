#!/usr/bin/env bash
# Loads a 10^7-row CSV through `gongshu dataset load` into a running demo
# platform and reports the server's peak memory (VmHWM) before and after,
# and the client's wall time. Usage: scripts/load-10m.sh [ROWS]
# Needs a release build: cargo build --release -p gongshu
set -euo pipefail
ROWS=${1:-10000000}
BIN=${CARGO_TARGET_DIR:-target}/release/gongshu
WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

"$BIN" demo --scale small --data-dir "$WORK/demo" --listen "127.0.0.1:$PORT" > "$WORK/demo.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 200); do
  grep -q "GONGSHU_API_KEY=gsk" "$WORK/demo.log" 2>/dev/null && curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.2
done
LINE=$(grep "GONGSHU_API_KEY=gsk" "$WORK/demo.log" | tail -1)
KEY=$(sed -E 's/.*GONGSHU_API_KEY=([^ ]+).*/\1/' <<<"$LINE")
ID=$(sed -E 's/.*--resource ([^ ]+).*/\1/' <<<"$LINE")

python3 - "$WORK/bills.csv" "$ROWS" <<'PY'
import sys
path, rows = sys.argv[1], int(sys.argv[2])
towns = ["涞源镇", "银坊镇", "走马驿镇", "水堡镇", "王安镇", "杨家庄镇"]
with open(path, "w", encoding="utf-8", buffering=1 << 20) as f:
    # The power company's export layout (see crates/gongshu/src/demo_catalog.rs).
    f.write("account_no,holder_id_number,holder_name,phone,township,village,customer_type,"
            "credit_code,industry,bill_month,kwh,amount_fen,paid_on_time,arrears_fen\n")
    for i in range(rows):
        f.write(f"DL{i // 12:010d},,户{i // 12},,{towns[i % 6]},东关村,居民,,,2025-{1 + i % 12:02d}-01,"
                f"{i % 300},{(i * 7919) % 500000},{'true' if i % 23 else 'false'},0\n")
PY
echo "CSV: $ROWS rows, $(du -m "$WORK/bills.csv" | cut -f1) MiB"
hwm() { grep VmHWM "/proc/$SERVER/status" | awk '{print $2 / 1024 " MiB"}'; }
echo "server peak RSS before the load: $(hwm)"
START=$(date +%s.%N)
GONGSHU_API_KEY=$KEY "$BIN" dataset load --server "http://127.0.0.1:$PORT" --resource "$ID" --file "$WORK/bills.csv"
END=$(date +%s.%N)
echo "server peak RSS after the load:  $(hwm)"
python3 -c "print(f'wall time {float($END) - float($START):.1f} s, {int($ROWS) / (float($END) - float($START)):.0f} rows/s end to end')"
