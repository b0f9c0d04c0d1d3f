# bench/lib.sh: what the bench scripts share. Source it after
# `set -euo pipefail`; it reads and sets:
#   REPO, SHARED (default <repo>/../shared), BENCH_DIR (default
#   /tmp/piiscan-bench), CORPUS ($BENCH_DIR/corpus), RUNS (3), CPUS;
#   need COMMAND PACKAGE   install a Debian package when COMMAND is missing
#   corpus SIZE_MB         build the corpus once (shared/bench/make-corpus.sh)
#   build_piiscan          build the binary the way the image does; sets PIISCAN
#   timed CMD...           "seconds max_rss_kb" of one run (exit 1, findings, is fine)
#   best CMD...            the fastest of RUNS runs, with the largest RSS seen

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
  if [[ ! -f $CORPUS/MANIFEST.txt ]]; then
    echo "building a $1 MiB corpus in $CORPUS" >&2
    "$SHARED/bench/make-corpus.sh" "$CORPUS" "$1" >&2
  fi
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

best() {
  local best_s="" best_rss=0 s rss i
  for ((i = 0; i < RUNS; i++)); do
    read -r s rss < <(timed "$@")
    if [[ -z $best_s ]] || awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s; fi
    (( rss > best_rss )) && best_rss=$rss
  done
  echo "$best_s $best_rss"
}
