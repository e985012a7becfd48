#!/usr/bin/env bash
# The benchmark suite of gongshu on the synthetic county: every benchmark
# measures its own baseline in the same run (plain-file group commit for
# the ledger, DuckDB for ingestion and queries, raw DataFusion for the
# sandbox, the unaudited path for product calls) and prints a Markdown
# table; this script runs them one after another and prints one report
# with the machine, the date and the commands, as BENCHMARKS.md keeps it.
#
#   scripts/bench.sh           # full sizes (10^7 rows; about an hour on 2 cores, builds included)
#   scripts/bench.sh --quick   # small sizes (minutes once built)
#   GONGSHU_BENCH_SKIP=ingest,queries scripts/bench.sh --quick
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/gongshu-target}"
export CARGO_TERM_COLOR=never

quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; fi
skip=",${GONGSHU_BENCH_SKIP:-},"

if [ "$quick" = 1 ]; then
  export GONGSHU_BENCH_QUICK=1 GONGSHU_BENCH_ROWS=1000000
  calls=2000
else
  calls=20000
fi

echo "# gongshu benchmark suite"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- rustc: $(rustc -V)"
echo "- mode: $([ "$quick" = 1 ] && echo quick || echo full)"

run() {
  local name="$1" title="$2"; shift 2
  if [[ "$skip" == *",$name,"* ]]; then return; fi
  echo
  echo "## $title"
  echo
  echo "\`$*\`"
  echo
  local started=$SECONDS
  # Tables go to stdout; progress and diagnostics to stderr (kept out).
  "$@" 2>"/tmp/gongshu-bench-$name.log" | grep -E '^\||^ratio|^[a-z].*: ' || {
    echo "(failed: see /tmp/gongshu-bench-$name.log)"
    tail -n 20 "/tmp/gongshu-bench-$name.log" >&2
  }
  echo
  echo "($(( SECONDS - started )) s including the build)"
}

run ledger "Audit ledger: durable appends, proofs, verification (issue 2)" \
  cargo bench -q -p gongshu-ledger --bench ledger
run ingest "Ingestion: CSV to encrypted Parquet against DuckDB (issue 4)" \
  cargo bench -q -p gongshu-vault --bench ingest
run queries "Sandbox queries against raw DataFusion and DuckDB (issue 5)" \
  cargo bench -q -p gongshu-sandbox --bench queries
if [[ "$skip" != *",products,"* ]]; then
  cargo build -q --release -p gongshu
fi
run products "Product calls: audited against unaudited, on the small synthetic county (issue 7)" \
  "$CARGO_TARGET_DIR/release/gongshu" bench products --calls "$calls" --connections 64
