#!/usr/bin/env bash
# bench/exports.sh: the rate of piiscan on a Parquet, an Avro, an XLSX
# and a DOCX export, an mbox and a SQLite database, against the same rows
# as CSV.
#
# Writes (once) with bench/exportgen, from a fixed seed, an export of
# made-up customer orders of at least SIZE_MB MiB of Parquet (zstd, row
# groups of 128Ki rows; names, email, phone, SSN, card, client IP, street,
# free-text notes and reviews, and columns that hold no personal data),
# the same rows as Avro (deflate), as CSV, as an Excel workbook (shared
# strings), as a Word document (a paragraph a row, each value after
# its column's name), as an mbox (a confirmation mail a row, its text
# in base64, quoted-printable or as written, by turns) and as a SQLite
# database (one table), under BENCH_DIR/exports-SIZE_MB. Builds
# piiscan and runs, RUNS times each, alternated:
#   taskset -c CORE piiscan scan --workers 1 $SCAN FILE > /dev/null
#   piiscan scan --workers 2 $SCAN FILE > /dev/null     (both cores)
# on each of the seven files. Prints, as Markdown, the median
# wall time as MiB/s of the file and rows per second, the findings (the
# Parquet, Avro, CSV and XLSX files must report the same), and the peak
# RSS.
#
# Environment: BENCH_DIR (default /tmp/piiscan-bench), SIZE_MB (256),
# RUNS (3), CORE (1).
set -euo pipefail
RUNS=${RUNS:-3}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SIZE_MB=${SIZE_MB:-256}
CORE=${CORE:-1}
need taskset util-linux

DIR=$BENCH_DIR/exports-$SIZE_MB
PQ=$DIR/orders.parquet
AV=$DIR/orders.avro
CSV=$DIR/orders.csv
if [[ ! -s $DIR/rows ]]; then
  mkdir -p "$DIR"
  echo "writing $SIZE_MB MiB of Parquet and the same rows as Avro and CSV in $DIR" >&2
  (cd "$REPO" && go run ./bench/exportgen -mb "$SIZE_MB" -parquet "$PQ" -avro "$AV" -csv "$CSV") 2>"$DIR/rows.tmp"
  tail -1 "$DIR/rows.tmp" | awk '{ print $1 }' >"$DIR/rows" && rm "$DIR/rows.tmp"
fi
ROWS=$(cat "$DIR/rows")
XLSX=$DIR/orders.xlsx
DOCX=$DIR/orders.docx
if [[ ! -s $XLSX || ! -s $DOCX ]]; then
  echo "writing the same $ROWS rows as XLSX and DOCX in $DIR" >&2
  (cd "$REPO" && go run ./bench/exportgen -rows "$ROWS" -parquet "" -avro "" -csv "" -xlsx "$XLSX" -docx "$DOCX") 2>/dev/null
fi
MBOX=$DIR/orders.mbox
if [[ ! -s $MBOX ]]; then
  echo "writing the same $ROWS rows as an mbox in $DIR" >&2
  (cd "$REPO" && go run ./bench/exportgen -rows "$ROWS" -parquet "" -avro "" -csv "" -mbox "$MBOX") 2>/dev/null
fi
DB=$DIR/orders.db
if [[ ! -s $DB ]]; then
  echo "writing the same $ROWS rows as a SQLite database in $DIR" >&2
  (cd "$REPO" && go run ./bench/exportgen -rows "$ROWS" -parquet "" -avro "" -csv "" -sqlite "$DB") 2>/dev/null
fi
build_piiscan
export PIISCAN_FINGERPRINT_KEY=0b5e9c2d71f84a36e0c7d19b25f8a4e3 PIISCAN_PROGRESS=never
unset PIISCAN_CONFIG PIISCAN_WORKERS PIISCAN_FORMAT GOMAXPROCS
cd "$BENCH_DIR"

echo "Machine: $CPU_MODEL, $CPUS cores, $(go version | cut -d' ' -f3), piiscan $COMMIT."
echo "Command: \`RUNS=$RUNS SIZE_MB=$SIZE_MB bench/exports.sh\`: median of $RUNS alternated runs, \`piiscan scan ${SCAN[*]}\`, warm page cache, output to /dev/null."
echo
echo "| input | MiB | rows | findings | workers | seconds | MiB/s | rows/s | peak RSS |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
declare -A times=() rss=()
for f in "$PQ" "$AV" "$CSV" "$XLSX" "$DOCX" "$MBOX" "$DB"; do cat "$f" >/dev/null; done
for ((r = 0; r < RUNS; r++)); do
  for f in "$PQ" "$AV" "$CSV" "$XLSX" "$DOCX" "$MBOX" "$DB"; do
    read -r s m < <(timed taskset -c "$CORE" "$PIISCAN" scan --workers 1 "${SCAN[@]}" "$f")
    times[$f 1]+="$s "
    (( m > ${rss[$f 1]:-0} )) && rss[$f 1]=$m
    read -r s m < <(timed "$PIISCAN" scan --workers 2 "${SCAN[@]}" "$f")
    times[$f 2]+="$s "
    (( m > ${rss[$f 2]:-0} )) && rss[$f 2]=$m
  done
done
for f in "$PQ" "$AV" "$CSV" "$XLSX" "$DOCX" "$MBOX" "$DB"; do
  bytes=$(stat -c %s "$f")
  findings=$( ("$PIISCAN" scan --workers 2 "${SCAN[@]}" "$f" 2>/dev/null || true) | wc -l)
  for w in 1 2; do
    s=$(median_of "${times[$f $w]}")
    echo "| $(basename "$f") | $(mib "$bytes") | $ROWS | $findings | $w | $s | $(rate "$bytes" "$s") | $(awk -v n="$ROWS" -v s="$s" 'BEGIN { printf "%.0f", n / s }') | $(( ${rss[$f $w]} / 1024 )) MiB |"
  done
done
