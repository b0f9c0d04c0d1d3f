#!/usr/bin/env bash
# bench/pgo.sh: regenerate cmd/piiscan/default.pgo, the CPU profile `go
# build` optimises piiscan with (profile-guided optimisation: go build
# reads default.pgo in the main package's folder by itself).
#
# The profile is what bench/run.sh measures: one-worker scans on one pinned
# core, jsonl written, every finding reported, of the dense corpus
# (make-corpus.sh) and of the loghub samples repeated, SIZE_MB each (256),
# two scans of each, merged. Profiling a binary already built with the old
# profile is fine (the Go documentation's "iterative stability").
#
# Commit the new default.pgo with the bench/run.sh figures before and after.
# Environment: BENCH_DIR, SIZE_MB (256), CORE (1), SHARED (see lib.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SIZE_MB=${SIZE_MB:-256}
CORE=${CORE:-1}
need taskset util-linux
pinned_setup

profiles=()
for dir in "$DENSE" "$REAL"; do
  for run in 1 2; do
    out=$BENCH_DIR/pgo-$(basename "$dir")-$run.prof
    taskset -c "$CORE" "$PIISCAN" --cpuprofile "$out" scan --workers 1 --max-findings -1 --format jsonl "$dir" > /dev/null || (($? == 1))
    profiles+=("$out")
  done
done
go tool pprof -proto "${profiles[@]}" > "$REPO/cmd/piiscan/default.pgo"
echo "wrote $REPO/cmd/piiscan/default.pgo ($(wc -c < "$REPO/cmd/piiscan/default.pgo") bytes) from ${#profiles[@]} profiles" >&2
