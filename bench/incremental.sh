#!/usr/bin/env bash
# bench/incremental.sh: what a scheduled scan costs once the first run is
# done. `piiscan run` of a scan job over one large log, then again after
# appending 1 MiB, with nothing new, and after a rotation.
#
# Uses the make-corpus.sh corpus in $BENCH_DIR/corpus, the one shards.sh
# builds (or builds a small one: PARTS x 64 MiB). Prints wall time and peak
# RSS of each run.
#
# Environment: BENCH_DIR (default /tmp/piiscan-bench), PARTS (4).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PARTS=${PARTS:-4}
corpus $((PARTS * 64))
build_piiscan
WORK=$BENCH_DIR/incremental
rm -rf "$WORK" && mkdir -p "$WORK/logs"
export PIISCAN_FINGERPRINT_KEY=0b5e9c2d71f84a36e0c7d19b25f8a4e3
parts=$(ls "$CORPUS"/part-*.log | head -n "$PARTS")
cat $parts > "$WORK/logs/app.log"
extra=$(ls "$CORPUS"/part-*.log | tail -n 1)
cat > "$WORK/rules.yaml" <<YAML
version: 1
rules:
  - {id: email, detector: email, severity: medium}
  - {id: card, detector: credit_card, severity: critical}
  - {id: ssn, detector: us_ssn, severity: critical}
  - {id: ipv4, detector: ipv4, severity: low}
  - {id: ipv6, detector: ipv6, severity: low}
locations:
  - {name: logs, paths: [$WORK/logs], allowed: [email, ip_address]}
jobs:
  - {name: scan, schedule: "@hourly", action: scan}
state: {path: $WORK/state.db}
YAML

run() { # run LABEL
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$PIISCAN" --config "$WORK/rules.yaml" --log-level warn run scan >/dev/null 2>"$WORK/err" || [[ $? == 1 ]] || { cat "$WORK/err" >&2; exit 1; }
  read -r secs kb < <(tail -n 1 "$WORK/time")
  printf '%-34s %8s s %8d MB\n' "$1" "$secs" $((kb / 1024))
}
size=$(( $(stat -c %s "$WORK/logs/app.log") / 1048576 ))
run "first run (${size} MiB)"
head -c 1048576 "$extra" | sed '$d' >> "$WORK/logs/app.log"
run "1 MiB appended"
run "nothing new"
mv "$WORK/logs/app.log" "$WORK/logs/app.log.1"
head -c 1048576 "$extra" | sed '$d' > "$WORK/logs/app.log"
run "rotated, 1 MiB in the new file"
run "nothing new after the rotation"
