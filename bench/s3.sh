#!/usr/bin/env bash
# bench/s3.sh: one large object on a local S3 server against the same file
# on disk, per core (issue 14's S3 goal).
#
# Builds the dense and real corpora of bench/run.sh (SIZE_MB MiB each, once),
# joins each into one file of SIZE_MB MiB, starts versitygw (the S3 server
# the tests use; `go install`ed if missing) on 127.0.0.1 pinned to core
# SERVER_CORE with its data under BENCH_DIR, puts each file in a bucket as
# one object, and alternates, RUNS times:
#   taskset -c CORE piiscan scan --workers 1 $SCAN FILE          > /dev/null
#   taskset -c CORE piiscan scan --workers 1 $SCAN s3://bench/KEY > /dev/null
# piiscan and the server each have their own core, so the piiscan figures
# are what reading over HTTP costs the scanning core. Prints, as Markdown,
# the median wall time of each as MiB/s, the ratio S3/disk (1 means the
# same per-core rate), and the CPU time (user+sys) piiscan spent. One run
# of each first checks that both report the same findings (the jsonl with
# the path taken out).
#
# Environment: BENCH_DIR (default /tmp/piiscan-bench), SIZE_MB (256),
# RUNS (5), CORE (1), SERVER_CORE (0), SHARED (see lib.sh).
set -euo pipefail
RUNS=${RUNS:-5}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SIZE_MB=${SIZE_MB:-256}
CORE=${CORE:-1}
SERVER_CORE=${SERVER_CORE:-0}
need taskset util-linux
need curl curl
((CPUS >= 2)) || { echo "bench/s3.sh needs 2 cores: one for piiscan, one for the server" >&2; exit 1; }
pinned_setup

VERSITYGW=github.com/versity/versitygw/cmd/versitygw@v1.8.0 # as .ci/run
export PATH="$(go env GOPATH)/bin:$PATH"
command -v versitygw >/dev/null || { echo "installing $VERSITYGW" >&2; go install "$VERSITYGW"; }

KEY=bench-access SECRET=bench-secret-key REGION=us-east-1
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 9123)
ENDPOINT=http://127.0.0.1:$PORT
S3DIR=$BENCH_DIR/s3
rm -rf "$S3DIR" && mkdir -p "$S3DIR/data" "$S3DIR/versions"
taskset -c "$SERVER_CORE" versitygw --access "$KEY" --secret "$SECRET" --region "$REGION" \
  --port "127.0.0.1:$PORT" --quiet posix --versioning-dir "$S3DIR/versions" "$S3DIR/data" >"$S3DIR/server.log" 2>&1 &
SERVER=$!
JOINED=""
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  rm -rf "$S3DIR" ${JOINED:+"$JOINED"} "$BENCH_DIR/disk.jsonl" "$BENCH_DIR/s3.jsonl"
}
trap cleanup EXIT
fail() { # fail MESSAGE: stop, with the server's log
  echo "bench/s3.sh: $1" >&2
  [[ -s $S3DIR/server.log ]] && { echo "versitygw's log:" >&2; tail -20 "$S3DIR/server.log" >&2; }
  exit 1
}

s3curl() { curl -sS --fail --aws-sigv4 "aws:amz:$REGION:s3" --user "$KEY:$SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
up=""
for ((i = 0; i < 200; i++)); do
  s3curl "$ENDPOINT/" -o /dev/null 2>/dev/null && { up=1; break; }
  kill -0 "$SERVER" 2>/dev/null || fail "versitygw exited"
  sleep 0.1
done
[[ -n $up ]] || fail "versitygw did not answer on $ENDPOINT in 20 s"
s3curl -X PUT "$ENDPOINT/bench" -o /dev/null || fail "could not create the bucket"

export AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET AWS_REGION=$REGION AWS_ENDPOINT_URL=$ENDPOINT \
  AWS_EC2_METADATA_DISABLED=true PIISCAN_S3_PATH_STYLE=true

# cpu_timed CMD...: "wall_seconds cpu_seconds" of one run; a run that
# exits with more than 1 (1: findings) is not a measurement.
cpu_timed() {
  local rc=0
  /usr/bin/time -o "$BENCH_DIR/time.out" -f "%x %e %U %S" "$@" > /dev/null 2>"$BENCH_DIR/run.err" || rc=$?
  read -r rc s u k < <(tail -1 "$BENCH_DIR/time.out")
  if ((rc > 1)); then
    cat "$BENCH_DIR/run.err" >&2
    fail "$* exited $rc"
  fi
  awk -v s="$s" -v u="$u" -v k="$k" 'BEGIN { printf "%s %.2f\n", s, u + k }'
}

declare -A rows
measure() { # measure NAME DIR
  local name=$1 file=$BENCH_DIR/$1-${SIZE_MB}m.log bytes i s c ds="" ss="" dc="" sc="" found
  JOINED=$file
  cat "$2"/part-*.log >"$file"
  bytes=$(wc -c <"$file")
  s3curl -T "$file" "$ENDPOINT/bench/$name.log" -o /dev/null || fail "could not put $name.log"
  # The same findings from both places: the jsonl without its paths.
  local strip='s/^\{"path":"[^"]*",//'
  "$PIISCAN" scan "${SCAN[@]}" "$file" 2>/dev/null | sed -E "$strip" >"$BENCH_DIR/disk.jsonl" || true
  "$PIISCAN" scan "${SCAN[@]}" "s3://bench/$name.log" 2>/dev/null | sed -E "$strip" >"$BENCH_DIR/s3.jsonl" || true
  if ! cmp -s "$BENCH_DIR/disk.jsonl" "$BENCH_DIR/s3.jsonl" || [[ ! -s $BENCH_DIR/disk.jsonl ]]; then
    fail "$name: the scan of s3://bench/$name.log differs from the scan of $file"
  fi
  found=$(wc -l <"$BENCH_DIR/disk.jsonl")
  rm -f "$BENCH_DIR/disk.jsonl" "$BENCH_DIR/s3.jsonl"
  echo "measuring $name: $found findings from each" >&2
  for ((i = 0; i < RUNS; i++)); do
    read -r s c < <(cpu_timed taskset -c "$CORE" "$PIISCAN" scan --workers 1 "${SCAN[@]}" "$file")
    ds+="$s "; dc+="$c "
    read -r s c < <(cpu_timed taskset -c "$CORE" "$PIISCAN" scan --workers 1 "${SCAN[@]}" "s3://bench/$name.log")
    ss+="$s "; sc+="$c "
  done
  rm -f "$file"
  local d s3 dcpu s3cpu
  d=$(median_of "$ds")
  s3=$(median_of "$ss")
  dcpu=$(median_of "$dc")
  s3cpu=$(median_of "$sc")
  rows[$name]="| $name | $(rate "$bytes" "$d") | $(rate "$bytes" "$s3") | $(div "$d" "$s3") | $dcpu s | $s3cpu s |"
}

measure dense "$DENSE"
measure real "$REAL"

echo
echo "Machine: $CPU_MODEL, $CPUS cores, Linux $(uname -r), $(go version | cut -d' ' -f3), versitygw ${VERSITYGW##*@}, piiscan $COMMIT."
echo "Command: \`RUNS=$RUNS SIZE_MB=$SIZE_MB bench/s3.sh\`: one object of $SIZE_MB MiB against the same file, median of $RUNS alternated runs, piiscan on core $CORE (\`--workers 1 ${SCAN[*]}\`), the server on core $SERVER_CORE."
echo
echo "| corpus | disk MiB/s | S3 MiB/s | S3/disk | disk CPU | S3 CPU |"
echo "| --- | --- | --- | --- | --- | --- |"
echo "${rows[dense]}"
echo "${rows[real]}"
