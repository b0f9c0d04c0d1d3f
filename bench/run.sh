#!/usr/bin/env bash
# bench/run.sh: end-to-end throughput of piiscan against ripgrep.
#
# Builds a 1 GiB corpus with shared/bench/make-corpus.sh (once), installs
# ripgrep and GNU time from Debian's packages if missing, builds piiscan, and
# prints, on the same corpus with a warm page cache:
#   - piiscan with the default rules.yaml: one worker on one core
#     (GOMAXPROCS=1, the fair comparison with rg -j1), one worker with all
#     cores for reading and writing, and all workers;
#   - ripgrep extracting (-o) a comparable union of regexes (email, IPv4,
#     card-like digit groups, phone, SSN) with one thread and all threads;
#   - piiscan's peak RSS on the corpus and on one 1 GiB file.
# Each figure is the best of RUNS runs (default 3).
#
# Environment: BENCH_DIR (default /tmp/piiscan-bench), SIZE_MB (1024),
# SHARED (default <repo>/../shared), RUNS (3).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SIZE_MB=${SIZE_MB:-1024}
ONEFILE=$BENCH_DIR/one-file.log
need rg ripgrep
corpus "$SIZE_MB"
if [[ ! -f $ONEFILE ]]; then
  cat "$CORPUS"/part-*.log > "$ONEFILE"
fi
BYTES=$(cat "$CORPUS"/part-*.log | wc -c)
build_piiscan
export PIISCAN_FINGERPRINT_KEY=0b5e9c2d71f84a36e0c7d19b25f8a4e3 PIISCAN_PROGRESS=never

# Warm the page cache.
cat "$CORPUS"/part-*.log "$ONEFILE" > /dev/null

RE='[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b|\b(?:[0-9]{4}[ -]?){3}[0-9]{1,7}\b|\(?\b[0-9]{3}\)?[-. ][0-9]{3}[-. ][0-9]{4}\b|\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b'

row() { # row NAME SECONDS RSS_KB
  awk -v n="$1" -v s="$2" -v r="$3" -v b="$BYTES" 'BEGIN{printf "%-44s %7.2f s %8.0f MiB/s %7.0f MiB RSS\n", n, s, b/s/1048576, r/1024}'
}

echo
echo "corpus: $(awk -v b="$BYTES" 'BEGIN{printf "%.0f MiB", b/1048576}') in $(ls "$CORPUS"/part-*.log | wc -l) files; $CPUS CPUs; $(rg --version | head -1); piiscan $("$PIISCAN" version | cut -d' ' -f2)"
echo "findings: $("$PIISCAN" scan --format jsonl "$CORPUS" 2>/dev/null | wc -l) (piiscan), $(rg -o --no-filename -e "$RE" "$CORPUS"/part-*.log | wc -l) (rg matches)"
echo
read -r s rss < <(best env GOMAXPROCS=1 "$PIISCAN" scan --workers 1 --format jsonl "$CORPUS");  row "piiscan, 1 worker, 1 core (GOMAXPROCS=1)" "$s" "$rss"
read -r s rss < <(best "$PIISCAN" scan --workers 1 --format jsonl "$CORPUS");                    row "piiscan, 1 worker, $CPUS cores" "$s" "$rss"
read -r s rss < <(best "$PIISCAN" scan --format jsonl "$CORPUS");                                row "piiscan, $CPUS workers" "$s" "$rss"
read -r s rss < <(best "$PIISCAN" scan --format jsonl "$ONEFILE");                               row "piiscan, $CPUS workers, the corpus as one file" "$s" "$rss"
read -r s rss < <(best rg -j1 -o --no-filename -e "$RE" "$CORPUS");                               row "rg -o, 1 thread" "$s" "$rss"
read -r s rss < <(best rg -j"$CPUS" -o --no-filename -e "$RE" "$CORPUS");                         row "rg -o, $CPUS threads" "$s" "$rss"
