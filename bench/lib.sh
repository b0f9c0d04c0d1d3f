# bench/lib.sh: what the bench scripts share. Source it after
# `set -euo pipefail`; it reads and sets:
#   REPO, SHARED (default <repo>/../shared), BENCH_DIR (default
#   /tmp/piiscan-bench), CORPUS ($BENCH_DIR/corpus), RUNS (3), CPUS;
#   need COMMAND PACKAGE   install a Debian package when COMMAND is missing
#   corpus SIZE_MB [DIR]   build the corpus once (shared/bench/make-corpus.sh)
#                          in DIR (default $CORPUS)
#   loghub_corpus SIZE_MB DIR
#                          build, once, SIZE_MB MiB of the loghub samples
#                          alone, repeated, in parts of FILE_MB MiB (64)
#   build_piiscan          build the binary the way the image does; sets PIISCAN
#   timed CMD...           "seconds max_rss_kb" of one run (exit 1, findings, is fine)
#   best CMD...            the fastest of RUNS runs, with the largest RSS seen
#   median                 the median of the numbers on standard input
#   median_of "N N ..."    the median of a list of numbers
#   mib BYTES, rate BYTES SECONDS (MiB/s), div A B: numbers for the tables
#   COMMIT, CPU_MODEL      the piiscan commit measured (-dirty if changed)
#                          and the processor, for the tables' headers
#   pinned_setup           for run.sh and pgo.sh: build (once) the dense and
#                          real corpora of SIZE_MB MiB (sets DENSE, REAL),
#                          build piiscan, and set the environment of a scan
#                          with the built-in policy (cd to BENCH_DIR)
#   SCAN                   the flags of a measured scan: every finding
#                          reported (none left to the per-input cap), jsonl

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${SHARED:-$REPO/../shared}
BENCH_DIR=${BENCH_DIR:-/tmp/piiscan-bench}
CORPUS=$BENCH_DIR/corpus
RUNS=${RUNS:-3}
CPUS=$(nproc)
mkdir -p "$BENCH_DIR"

need() {
  command -v "$1" >/dev/null && return
  echo "installing $2 from Debian's packages" >&2
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get install -y "$2" >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y "$2" >/dev/null; }
}
need /usr/bin/time time

corpus() {
  local dir=${2:-$CORPUS}
  if [[ ! -f $dir/MANIFEST.txt ]]; then
    echo "building a $1 MiB corpus in $dir" >&2
    "$SHARED/bench/make-corpus.sh" "$dir" "$1" >&2
  fi
}

# loghub_corpus writes the loghub samples (CRLF made LF and empty lines
# dropped, as make-corpus.sh does) over and over, whole lines, until SIZE_MB
# MiB, starting a new part-NNN.log once a part holds FILE_MB MiB.
loghub_corpus() {
  local dir=$2 src=$SHARED/corpus/loghub
  [[ -f $dir/MANIFEST.txt ]] && return
  compgen -G "$src/*.log" >/dev/null || { echo "no loghub samples in $src" >&2; exit 1; }
  echo "building a $1 MiB corpus of the loghub samples in $dir" >&2
  rm -rf "$dir" && mkdir -p "$dir"
  LC_ALL=C awk -v dir="$dir" -v max=$(($1 << 20)) -v per=$((${FILE_MB:-64} << 20)) '
    { sub(/\r$/, ""); if ($0 != "") line[n++] = $0 }
    END {
      if (n == 0) exit 1
      out = sprintf("%s/part-%03d.log", dir, part)
      while (total < max) {
        for (i = 0; i < n && total < max; i++) {
          if (in_part >= per) { close(out); out = sprintf("%s/part-%03d.log", dir, ++part); in_part = 0 }
          print line[i] > out
          in_part += length(line[i]) + 1; total += length(line[i]) + 1
        }
      }
      printf "generator: bench/lib.sh loghub_corpus\nsize_mb_requested: %d\nbytes: %d\nfiles: %d\nsample_lines: %d\n", max / 1048576, total, part + 1, n > (dir "/MANIFEST.txt")
    }' "$src"/*.log
}

build_piiscan() {
  echo "building piiscan" >&2
  (cd "$REPO" && CGO_ENABLED=0 go build -trimpath -o "$BENCH_DIR/piiscan" ./cmd/piiscan)
  PIISCAN=$BENCH_DIR/piiscan
}

timed() {
  /usr/bin/time -o "$BENCH_DIR/time.out" -f "%e %M" "$@" > /dev/null 2>/dev/null || true
  tail -1 "$BENCH_DIR/time.out"
}

median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

median_of() { tr ' ' '\n' <<<"$1" | grep . | median; }

mib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1048576 }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$REPO" diff --quiet HEAD 2>/dev/null || COMMIT+="-dirty"
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)

best() {
  local best_s="" best_rss=0 s rss i
  for ((i = 0; i < RUNS; i++)); do
    read -r s rss < <(timed "$@")
    if [[ -z $best_s ]] || awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s; fi
    (( rss > best_rss )) && best_rss=$rss
  done
  echo "$best_s $best_rss"
}

SCAN=(--max-findings -1 --format jsonl)

pinned_setup() {
  DENSE=$BENCH_DIR/dense-${SIZE_MB}m
  REAL=$BENCH_DIR/real-${SIZE_MB}m
  corpus "$SIZE_MB" "$DENSE"
  loghub_corpus "$SIZE_MB" "$REAL"
  build_piiscan
  export PIISCAN_FINGERPRINT_KEY=0b5e9c2d71f84a36e0c7d19b25f8a4e3 PIISCAN_PROGRESS=never
  unset PIISCAN_CONFIG PIISCAN_WORKERS PIISCAN_FORMAT GOMAXPROCS
  cd "$BENCH_DIR" # no ./rules.yaml here: the built-in policy
}
