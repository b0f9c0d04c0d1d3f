#!/usr/bin/env bash
# bench/loghub-ips.sh: how well piiscan finds IPv4 addresses in real logs.
# Scans each *_2k.log of the loghub samples (https://github.com/logpai/loghub;
# research-licensed, so they stay outside the project) with the default
# rules.yaml and compares the ip_address findings with the dotted quads of
# the file, classified by their context:
#
#   quads      every d.d.d.d (1-3 digit parts) not inside a longer dotted
#              number such as 1.2.3.4.5
#   addresses  the quads that are addresses and must be found: a valid
#              address standing as its own token ("from 10.1.2.3 port",
#              "host/10.1.2.3:8030", "[/10.1.2.3:2181]")
#   found      addresses reported at their exact position (line, byte
#              column, length)
#   false      ip_address findings at no address: versions ("~6.1.1.0",
#              "version 6.1.7601.17514", "version=1.2.3.4"), 0.0.0.0 (the
#              unspecified address names no host: piiscan does not report
#              it), invalid octets, and anything that is no quad at all
#   ipv6       IPv6 findings, counted apart (the quads are the measure)
#   in-names   quads inside a host name or an identifier
#              ("68.143.156.89.nw.example.net", "BP-12-10.1.2.3-1444"):
#              neither required nor counted as false; shown as found/total
#
# The classification is the script's own, made of context rules checked by
# hand on the samples (see classify below), not piiscan's.
#
# Usage: bench/loghub-ips.sh [LOGHUB_DIR]   (default ../shared/corpus/loghub
# relative to the repository). Needs go, perl and jq.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${1:-$REPO/../shared/corpus/loghub}
[[ -d $DIR ]] || { echo "no loghub directory $DIR" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$REPO" && CGO_ENABLED=0 go build -trimpath -o "$WORK/piiscan" ./cmd/piiscan)
export PIISCAN_FINGERPRINT_KEY=${PIISCAN_FINGERPRINT_KEY:-5c1e0a9d3b7f4286e1d0c5a7b92f38e4}

# classify prints "line<TAB>column<TAB>length<TAB>kind" for every quad of
# a file; kind is addr, not (must not be reported) or name.
classify() {
  perl -ne '
    while (/(?<![0-9])(?<![0-9]\.)([0-9]{1,3}(?:\.[0-9]{1,3}){3})(?![0-9])(?!\.[0-9])/g) {
      my ($q, $s, $e) = ($1, $-[1], $+[1]);
      my $pre = substr($_, 0, $s);
      my $post = substr($_, $e);
      my $kind = "addr";
      my $valid = 1;
      for my $o (split /\./, $q) { $valid = 0 if $o > 255 || $o =~ /^0[0-9]/ }
      if (!$valid || $q eq "0.0.0.0") {
        $kind = "not";
      } elsif ($pre =~ /(?:[~_]|\bv|\bversion[ =:]*|\bver[ =:]*|\bbuild[ =:]*|\brelease[ =:]*)$/i) {
        $kind = "not";
      } elsif ($pre =~ /(?:[A-Za-z0-9]|[A-Za-z0-9]-|[A-Za-z0-9-]\.)$/ || $post =~ /^(?:\.[A-Za-z]|-[A-Za-z0-9])/) {
        $kind = "name";
      }
      printf "%d\t%d\t%d\t%s\n", $., $s + 1, $e - $s, $kind;
    }' "$1"
}

printf "%-20s %7s %9s %7s %8s %6s %5s %9s\n" file quads addresses found recall false ipv6 in-names
tq=0 ta=0 tf=0 tx=0
for f in "$DIR"/*_2k.log; do
  name=$(basename "$f")
  classify "$f" > "$WORK/truth"
  "$WORK/piiscan" scan --config "$REPO/rules.yaml" --reveal --class ip_address --format jsonl \
    --fail-on none --progress never "$f" | jq -r '[.line, .column, .length, (.value | test(":"))] | @tsv' > "$WORK/found"
  read -r q a fd x v6 nf nt < <(awk -F'\t' '
    NR == FNR { kind[$1 FS $2 FS $3] = $4; q++; if ($4 == "addr") a++; if ($4 == "name") nt++; next }
    { k = $1 FS $2 FS $3
      if ($4 == "true") v6++; else if (kind[k] == "addr") fd++; else if (kind[k] == "name") nf++; else x++ }
    END { printf "%d %d %d %d %d %d %d\n", q, a, fd, x, v6, nf, nt }' "$WORK/truth" "$WORK/found")
  recall=-
  ((a > 0)) && recall=$(awk -v f="$fd" -v a="$a" 'BEGIN { printf "%.1f%%", 100 * f / a }')
  printf "%-20s %7d %9d %7d %8s %6d %5d %9s\n" "$name" "$q" "$a" "$fd" "$recall" "$x" "$v6" "$nf/$nt"
  tq=$((tq + q)) ta=$((ta + a)) tf=$((tf + fd)) tx=$((tx + x))
done
recall=-
((ta > 0)) && recall=$(awk -v f="$tf" -v a="$ta" 'BEGIN { printf "%.2f%%", 100 * f / a }')
printf "%-20s %7d %9d %7d %8s %6d\n" total "$tq" "$ta" "$tf" "$recall" "$tx"
