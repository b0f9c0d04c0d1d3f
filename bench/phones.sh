#!/usr/bin/env bash
# bench/phones.sh: per-core throughput on exports of customer records,
# where every phone number is seen once and the validator's cost per
# number, not the byte loop, decides the rate.
#
# Writes (once) two CSV files of ROWS rows (id,name,phone,created) under
# BENCH_DIR/phones-*, from a fixed seed:
#   - nanp: numbers of random NANP area codes and exchanges, written as
#     (415) 555-2671, 415-555-2671, +1 415 555 2671 and 415.555.2671;
#   - intl: '+CC' numbers of the United Kingdom, Germany, France, Japan and
#     Australia.
# Builds piiscan and runs, RUNS times on one pinned core (taskset -c CORE):
#   piiscan scan --workers 1 $SCAN FILE > /dev/null
# and, if BASE names another piiscan binary, that one too, alternated.
# Prints, as Markdown, the median wall time as MiB/s and numbers per
# second, and the findings.
#
# Environment: BENCH_DIR (default /tmp/piiscan-bench), ROWS (300000 NANP,
# a third of that international), RUNS (5), CORE (1), BASE (unset).
set -euo pipefail
RUNS=${RUNS:-5}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROWS=${ROWS:-300000}
CORE=${CORE:-1}
need taskset util-linux

# phones KIND ROWS FILE: the export, written once.
phones() {
  [[ -s $3 ]] && return
  mkdir -p "$(dirname "$3")"
  LC_ALL=C awk -v kind="$1" -v rows="$2" 'BEGIN {
    srand(7)
    print "id,name,phone,created"
    for (i = 0; i < rows; i++) {
      if (kind == "nanp") {
        a = 200 + int(rand() * 800); x = 200 + int(rand() * 800); l = int(rand() * 10000)
        f = int(rand() * 4)
        if (f == 0) p = sprintf("(%d) %d-%04d", a, x, l)
        else if (f == 1) p = sprintf("%d-%d-%04d", a, x, l)
        else if (f == 2) p = sprintf("+1 %d %d %04d", a, x, l)
        else p = sprintf("%d.%d.%04d", a, x, l)
      } else {
        f = int(rand() * 5); u = int(rand() * 10000); v = int(rand() * 10000)
        if (f == 0) p = sprintf("+44 20 %04d %04d", u, v)
        else if (f == 1) p = sprintf("+49 30 %04d%04d", u, v)
        else if (f == 2) p = sprintf("+33 1 %02d %02d %02d %02d", u % 100, int(u / 100), v % 100, int(v / 100))
        else if (f == 3) p = sprintf("+81 3 %04d %04d", u, v)
        else p = sprintf("+61 2 %04d %04d", u, v)
      }
      printf "%d,user%d,%s,2024-01-%02d\n", i, i, p, 1 + int(rand() * 28)
    }
  }' > "$3.tmp" && mv "$3.tmp" "$3"
}

NANP=$BENCH_DIR/phones-nanp/customers.csv
INTL=$BENCH_DIR/phones-intl/customers.csv
phones nanp "$ROWS" "$NANP"
phones intl $((ROWS / 3)) "$INTL"
build_piiscan
export PIISCAN_FINGERPRINT_KEY=0b5e9c2d71f84a36e0c7d19b25f8a4e3 PIISCAN_PROGRESS=never
unset PIISCAN_CONFIG PIISCAN_WORKERS PIISCAN_FORMAT GOMAXPROCS
cd "$BENCH_DIR"

bins=("$PIISCAN")
[[ -n ${BASE:-} ]] && bins+=("$BASE")
echo "Machine: $CPU_MODEL, $(go version | cut -d' ' -f3), piiscan $COMMIT${BASE:+ (BASE: $BASE)}."
echo "Command: \`RUNS=$RUNS ROWS=$ROWS bench/phones.sh\`: median of $RUNS alternated runs on one pinned core, \`piiscan scan --workers 1 ${SCAN[*]}\`."
echo
echo "| export | binary | rows | MiB | findings | seconds | MiB/s | numbers/s |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for f in "$NANP" "$INTL"; do
  bytes=$(stat -c %s "$f")
  rows=$(($(wc -l <"$f") - 1))
  cat "$f" >/dev/null
  declare -A times=()
  for ((r = 0; r < RUNS; r++)); do
    for bin in "${bins[@]}"; do
      read -r s _ < <(timed taskset -c "$CORE" "$bin" scan --workers 1 "${SCAN[@]}" "$f")
      times[$bin]+="$s "
    done
  done
  for bin in "${bins[@]}"; do
    findings=$( ("$bin" scan --workers 1 "${SCAN[@]}" "$f" 2>/dev/null || true) | wc -l)
    s=$(median_of "${times[$bin]}")
    name=HEAD
    [[ $bin != "$PIISCAN" ]] && name=BASE
    echo "| $(basename "$(dirname "$f")") | $name | $rows | $(mib "$bytes") | $findings | $s | $(rate "$bytes" "$s") | $(awk -v n="$rows" -v s="$s" 'BEGIN { printf "%.0f", n / s }') |"
  done
  unset times
done
