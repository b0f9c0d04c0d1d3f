#!/usr/bin/env bash
# bench/run.sh: per-core throughput of piiscan against ripgrep (issue 14).
#
# Builds two corpora of SIZE_MB MiB (once) in parts of 64 MiB:
#   - dense: shared/bench/make-corpus.sh (loghub samples, nginx and JSON
#     lines, injected personal data: 41% of lines carry a finding);
#   - real:  the loghub samples alone (shared/corpus/loghub/*.log, CRLF
#     made LF), repeated.
# Installs ripgrep and GNU time from Debian's packages if missing, builds
# piiscan, warms the page cache, and on each corpus runs, RUNS times,
# alternated:
#   taskset -c CORE piiscan scan --workers 1 $SCAN CORPUS > /dev/null
#   taskset -c CORE rg -j1 -o --no-filename -e "$RE" CORPUS > /dev/null
#   piiscan scan --workers 2 $SCAN CORPUS > /dev/null  (2 cores)
# with the default rules.yaml (built in; no ./rules.yaml), SCAN
# "--max-findings -1 --format jsonl", RE a union of regexes comparable to
# piiscan's detectors (email, IPv4, card-like digit groups, phone, SSN).
# ripgrep only prints what matches; piiscan validates every candidate,
# masks and fingerprints each finding and writes it as jsonl: all of them,
# hence --max-findings -1 (by default a scan reports 100,000 findings per
# input and only counts the rest, and both corpora have more per 64 MiB
# part).
#
# Prints, as Markdown, the machine, the median time of each command turned
# into MiB/s, the ratio piiscan/rg (>= 1 means piiscan is as fast), the
# peak RSS of each (the largest of its runs, GNU time %M), and the speed-up
# of 2 workers on 2 cores over 1 worker on one pinned core.
#
# Environment: BENCH_DIR (default /tmp/piiscan-bench), SIZE_MB (256),
# RUNS (5), CORE (the pinned core, 1), SHARED (default <repo>/../shared).
set -euo pipefail
RUNS=${RUNS:-5}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SIZE_MB=${SIZE_MB:-256}
CORE=${CORE:-1}
need rg ripgrep
need taskset util-linux
((CPUS >= 2)) || { echo "bench/run.sh needs 2 cores" >&2; exit 1; }
pinned_setup

RE='[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b|\b(?:[0-9]{4}[ -]?){3}[0-9]{1,7}\b|\(?\b[0-9]{3}\)?[-. ][0-9]{3}[-. ][0-9]{4}\b|\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b'

# Two workers on two cores: the whole machine when it has two, else cores
# 0 and 1.
PAIR=()
((CPUS > 2)) && PAIR=(taskset -c 0,1)

rgv=$(rg --version)
rgv=${rgv%%$'\n'*}

# measure NAME DIR: RUNS alternated runs of the three commands; sets
# rows[NAME] and scales[NAME] to NAME's rows of the two tables and
# notes[NAME] to what the corpus holds.
declare -A rows scales notes
measure() {
  local name=$1 dir=$2 bytes i s rss p1s="" rgs="" p2s="" p1rss=0 rgrss=0 p2rss=0
  bytes=$(cat "$dir"/part-*.log | wc -c) # and warms the page cache
  # One run counts the findings and checks that the scan is whole (exit 0
  # or 1): the timed runs ignore how piiscan exits.
  { rc=0; "$PIISCAN" scan "${SCAN[@]}" "$dir" 2>"$BENCH_DIR/scan.err" || rc=$?; echo "$rc" >"$BENCH_DIR/scan.rc"; } |
    wc -lc >"$BENCH_DIR/scan.count"
  if [[ $(<"$BENCH_DIR/scan.rc") -gt 1 ]]; then
    echo "piiscan scan $dir exited $(<"$BENCH_DIR/scan.rc"):" >&2
    cat "$BENCH_DIR/scan.err" >&2
    exit 1
  fi
  read -r findings out <"$BENCH_DIR/scan.count"
  notes[$name]="$(mib "$bytes") MiB in $(ls "$dir"/part-*.log | wc -l) files; $findings findings, $(mib "$out") MiB of jsonl; $( (rg -o --no-filename -e "$RE" "$dir" || true) | wc -l) rg matches"
  echo "measuring $name: ${notes[$name]}" >&2
  for ((i = 0; i < RUNS; i++)); do
    read -r s rss < <(timed taskset -c "$CORE" "$PIISCAN" scan --workers 1 "${SCAN[@]}" "$dir")
    p1s+="$s "; ((rss > p1rss)) && p1rss=$rss
    read -r s rss < <(timed taskset -c "$CORE" rg -j1 -o --no-filename -e "$RE" "$dir")
    rgs+="$s "; ((rss > rgrss)) && rgrss=$rss
    read -r s rss < <(timed "${PAIR[@]}" "$PIISCAN" scan --workers 2 "${SCAN[@]}" "$dir")
    p2s+="$s "; ((rss > p2rss)) && p2rss=$rss
  done
  local p1 rg p2
  p1=$(median_of "$p1s")
  rg=$(median_of "$rgs")
  p2=$(median_of "$p2s")
  rows[$name]="| $name | $(rate "$bytes" "$p1") | $(rate "$bytes" "$rg") | $(div "$rg" "$p1") | $((p1rss / 1024)) MiB | $((rgrss / 1024)) MiB |"
  scales[$name]="| $name | $(rate "$bytes" "$p1") | $(rate "$bytes" "$p2") | $(div "$p1" "$p2")× | $((p2rss / 1024)) MiB |"
}

measure dense "$DENSE"
measure real "$REAL"

echo
echo "Machine: $CPU_MODEL, $CPUS cores, Linux $(uname -r), $(go version | cut -d' ' -f3), $rgv, piiscan $COMMIT."
echo "Command: \`RUNS=$RUNS SIZE_MB=$SIZE_MB bench/run.sh\`: median of $RUNS alternated runs, warm page cache, jsonl to /dev/null."
echo
echo "- dense (\`make-corpus.sh DIR $SIZE_MB\`): ${notes[dense]}"
echo "- real (the loghub samples repeated): ${notes[real]}"
echo
echo "One pinned core (\`taskset -c $CORE\`): \`piiscan scan --workers 1 ${SCAN[*]}\` and \`rg -j1 -o\`:"
echo
echo "| corpus | piiscan MiB/s | rg MiB/s | ratio | piiscan RSS | rg RSS |"
echo "| --- | --- | --- | --- | --- | --- |"
echo "${rows[dense]}"
echo "${rows[real]}"
echo
echo "Two workers on two cores (\`--workers 2\`) against one worker on one pinned core:"
echo
echo "| corpus | 1 worker MiB/s | 2 workers MiB/s | speed-up | 2 workers RSS |"
echo "| --- | --- | --- | --- | --- |"
echo "${scales[dense]}"
echo "${scales[real]}"
