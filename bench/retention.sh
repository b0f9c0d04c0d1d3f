#!/usr/bin/env bash
# bench/retention.sh: throughput of `piiscan purge` and `piiscan redact`
# rewriting real logs, end to end (read, filter or mask, write a temporary
# file, fsync, rename).
#
# Copies PARTS parts (default 4, 64 MiB each) of the corpus in
# $BENCH_DIR/corpus (the one shards.sh builds, or a new one) into a scratch
# tree twice: plain and gzip-compressed. The corpus spans early 2024 in
# record time; purge drops the expired records (see below), redact masks
# the card numbers, SSNs and credentials that the location does not allow.
# Prints MiB/s of rewritten (uncompressed) logs.
#
# Environment: BENCH_DIR (default /tmp/piiscan-bench), PARTS (4).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PARTS=${PARTS:-4}
corpus $((PARTS * 64))
build_piiscan
WORK=$BENCH_DIR/retention
# The corpus's own records run from 2024-01-01 at about five days per
# part; a 183-day retention judged on 2024-07-12 keeps records from
# 2024-01-11 on, which falls inside the first parts. (Loghub lines carry
# their own, older, dates and expire.)
export PIISCAN_FINGERPRINT_KEY=0b5e9c2d71f84a36e0c7d19b25f8a4e3 PIISCAN_NOW=2024-07-12T00:00:00Z

setup() { # setup plain|gz
  rm -rf "$WORK" && mkdir -p "$WORK/logs"
  for f in $(ls "$CORPUS"/part-*.log | head -n "$PARTS"); do
    if [[ $1 == gz ]]; then gzip -1 -c "$f" > "$WORK/logs/$(basename "$f").gz"; else cp "$f" "$WORK/logs/"; fi
  done
  touch -d 2024-07-10 "$WORK"/logs/*
  cat > "$WORK/rules.yaml" <<YAML
version: 1
rules:
  - {id: card, detector: credit_card, severity: critical}
  - {id: ssn, detector: us_ssn, severity: critical}
  - {id: email, detector: email, severity: medium}
  - {id: ip4, detector: ipv4, severity: low}
  - {id: ip6, detector: ipv6, severity: low}
locations:
  - name: logs
    paths: [$WORK/logs]
    allowed: [email, ip_address]
    disallowed: redact
    retention: {max_age: 183d, from: record}
enforcement:
  audit_log: $WORK/audit.jsonl
  breaker: {max_share: 1}
YAML
}

MB=$(cat $(ls "$CORPUS"/part-*.log | head -n "$PARTS") | wc -c)
row() { awk -v n="$1" -v s="$2" -v b="$MB" 'BEGIN{printf "%-36s %7.2f s %8.1f MiB/s of logs\n", n, s, b/s/1048576}'; }
secs() { read -r s _ < <(timed "$@"); echo "$s"; }

echo "$(awk -v b="$MB" 'BEGIN{printf "%.0f MiB", b/1048576}') of logs in $PARTS files; $(nproc) CPUs"
for fmt in plain gz; do
  setup "$fmt"; row "purge --enforce ($fmt)" "$(secs "$PIISCAN" --config "$WORK/rules.yaml" purge --enforce)"
  setup "$fmt"; row "redact --enforce ($fmt)" "$(secs "$PIISCAN" --config "$WORK/rules.yaml" redact --enforce)"
done
rm -rf "$WORK"
