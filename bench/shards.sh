#!/usr/bin/env bash
# bench/shards.sh: what one core and one worker do, and what sharding adds.
#
# On the bench corpus (shared/bench/make-corpus.sh, built once), prints:
#   - throughput and peak RSS of one process with 1..CPUS workers, each
#     worker with its own core (GOMAXPROCS=workers): throughput per core
#     and memory per worker, the figures the README's sizing advice uses;
#   - the same corpus cut into 4 MiB files (split -C, whole lines; shards
#     balance by item count, so a handful of big files would not do) as
#     SHARDS shards (default: CPUS) run side by side, one worker each
#     (their reports on stdout are tables: the findings go to the files),
#     writing findings files, and the merge that follows: wall time, each
#     shard's RSS, and a check that the merged findings equal the
#     unsharded scan's, line for line.
# Each figure is the best of RUNS runs (default 3).
#
# Environment: BENCH_DIR (default /tmp/piiscan-bench), SIZE_MB (1024),
# SHARED (default <repo>/../shared), RUNS (3), SHARDS (nproc).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHARDS=${SHARDS:-$CPUS}
corpus "${SIZE_MB:-1024}"
BYTES=$(cat "$CORPUS"/part-*.log | wc -c)
build_piiscan
export PIISCAN_FINGERPRINT_KEY=0b5e9c2d71f84a36e0c7d19b25f8a4e3 PIISCAN_PROGRESS=never
cat "$CORPUS"/part-*.log > /dev/null

row() { # row NAME SECONDS RSS_KB
  awk -v n="$1" -v s="$2" -v r="$3" -v b="$BYTES" 'BEGIN{printf "%-46s %7.2f s %8.0f MiB/s %7.0f MiB RSS\n", n, s, b/s/1048576, r/1024}'
}

echo
echo "corpus: $(awk -v b="$BYTES" 'BEGIN{printf "%.0f MiB", b/1048576}') in $(ls "$CORPUS"/part-*.log | wc -l) files; $CPUS CPUs; piiscan $("$PIISCAN" version | cut -d' ' -f2)"
echo
for ((w = 1; w <= CPUS; w++)); do
  read -r s rss < <(best env GOMAXPROCS=$w "$PIISCAN" scan --workers "$w" --format jsonl "$CORPUS")
  row "one process, $w worker(s) on $w core(s)" "$s" "$rss"
done

SPLIT=$BENCH_DIR/split
if [[ ! -f $SPLIT/done ]]; then
  rm -rf "$SPLIT"; mkdir -p "$SPLIT"
  for f in "$CORPUS"/part-*.log; do split -C 4M -d -a 3 "$f" "$SPLIT/$(basename "$f" .log)-"; done
  touch "$SPLIT/done"
fi
cat "$SPLIT"/part-* > /dev/null
read -r s rss < <(best env GOMAXPROCS=$CPUS "$PIISCAN" scan --workers "$CPUS" --format jsonl "$SPLIT")
row "one process, $CPUS workers, $(ls "$SPLIT" | wc -l) files of 4 MiB" "$s" "$rss"

OUT=$BENCH_DIR/shards
best_wall=""
for ((r = 0; r < RUNS; r++)); do
  rm -rf "$OUT"; mkdir -p "$OUT"
  start=$(date +%s.%N)
  for ((i = 0; i < SHARDS; i++)); do
    /usr/bin/time -o "$OUT/time.$i" -f "%e %M" env GOMAXPROCS=1 "$PIISCAN" scan --workers 1 --format table \
      --shard "$i/$SHARDS" --shard-output "$OUT/files" "$SPLIT" > /dev/null 2>&1 &
  done
  wait
  wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')
  if [[ -z $best_wall ]] || awk "BEGIN{exit !($wall < $best_wall)}"; then
    best_wall=$wall
    max_rss=$(for ((i = 0; i < SHARDS; i++)); do tail -1 "$OUT/time.$i" | cut -d' ' -f2; done | sort -n | tail -1)
  fi
done
row "$SHARDS shards side by side, 1 worker each" "$best_wall" "$max_rss"
for f in "$OUT"/files/shard-*.jsonl; do
  echo "  $(basename "$f" .jsonl): $(tail -1 "$f" | grep -o '"files":[0-9]*' | cut -d: -f2) files"
done
echo "  (RSS is the largest shard's)"
read -r s rss < <(best "$PIISCAN" report merge --format jsonl "$OUT/files")
awk -v n="merge of $SHARDS findings files (jsonl)" -v s="$s" -v r="$rss" -v f="$(cat "$OUT"/files/*.jsonl | wc -l)" \
  'BEGIN{printf "%-46s %7.2f s %8.0f lines/s %6.0f MiB RSS\n", n, s, f/s, r/1024}'

if cmp -s <("$PIISCAN" scan --format jsonl "$SPLIT" 2>/dev/null) <("$PIISCAN" report merge --format jsonl "$OUT/files" 2>/dev/null); then
  echo "merged findings = unsharded findings: yes"
else
  echo "merged findings = unsharded findings: NO" >&2
  exit 1
fi
