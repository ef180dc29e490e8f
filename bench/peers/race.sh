#!/usr/bin/env bash
# race.sh - the side-by-side race: udpcast, UFTP and fountcast under the same conditions, in
# the peers harness (PEERS_DIR: network namespaces on a veth bridge, nftables loss,
# sha256-verified), one median line per tool and case.
#
# Usage: bench/peers/race.sh [-r REPS] [-s SIZE_MIB] [-c CASES]
#   -r runs per case (default 3; the median is kept)   -s file size in MiB (default 256)
#   -c which cases: all (default: lossless, lossy, capped), or a comma-separated list of those
#      and linkbound
#   npm run bench:peers -- -r 1      a quick single pass
# Needs root or unprivileged user namespaces, and the Debian packages udpcast uftp nftables time
# iproute2 (see the peers harness's README).
# Cases:
#   lossless  1 and 4 receivers, 0 % loss, no rate cap (fountcast --rate 0; udpcast and UFTP
#             as the harness runs them)
#   lossy     4 receivers at 5 % and at 20 % loss each, every tool's defaults
#   capped    8 receivers, every link (sender's and each receiver's) capped at 200 Mbit/s with
#             tbf, 5 % loss each: link-bound, like a switched LAN. Each tool is told the link
#             speed, as a user would: udpcast --max-bitrate 190m, uftp -R 190000, fountcast
#             --rate 190M (95 % of the link, leaving room for headers).
#   linkbound (not in "all") the capped case where the links, not a 2-core machine's CPU,
#             are the limit even with 9 processes on it: 64 MiB, links at 50 Mbit/s, each tool
#             told 47 Mbit/s.
# The shared harness is read-only: it is copied to $PB_WORK/harness with bench/peers/linkcap.sh
# (the tbf overlay, active only when PB_LINK_RATE is set) appended to its lib.sh.
# Results: every run in /dev/shm/peers-bench/race.txt; the medians on stdout.
set -eu
here=$(dirname "$(readlink -f "$0")")
PEERS_DIR=${PEERS_DIR:-$(readlink -f "$here/../../../shared/peers")}
[ -x "$PEERS_DIR/bench-all.sh" ] || { echo "ERROR: peers harness not found at $PEERS_DIR (set PEERS_DIR)" >&2; exit 1; }
reps=3 size=256 which=all
while [ $# -gt 0 ]; do
	case $1 in
	-r) reps=$2; shift 2 ;;
	-s) size=$2; shift 2 ;;
	-c) which=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done
want() { { [ "$which" = all ] && [ "$1" != linkbound ]; } || [[ ",$which," == *",$1,"* ]]; }

work=${PB_WORK:-/dev/shm/peers-bench}
harness=$work/harness
rm -rf "$harness"
mkdir -p "$harness"
cp -p "$PEERS_DIR"/* "$harness/"
cat "$here/linkcap.sh" >>"$harness/lib.sh"
export PEERS_DIR=$harness
ours=$(realpath --relative-to="$harness" "$here/fountcast.sh")
out=$work/race.txt

race() { "$harness/bench-all.sh" -r "$reps" -o "$out" "$@"; }
# all_three "CASE" [FOUNTCAST OPTIONS]: the three tools on one case, one after the other.
all_three() { race "udpcast.sh $1 -s $size" "uftp.sh $1 -s $size" "$ours $1 -s $size${2:+ $2}"; }

# "No rate cap": fountcast's default 1 Gbit/s ceiling is lifted (udpcast has no cap by default;
# the harness runs UFTP at -R 1000000, see its README). The lossy cases keep every default.
want lossless && { all_three "-n 1" "--rate 0"; all_three "-n 4" "--rate 0"; }
want lossy && { all_three "-n 4 -l 5"; all_three "-n 4 -l 20"; }
if want capped; then
	c="-n 8 -l 5 -s $size"
	PB_LINK_RATE=200mbit race "udpcast.sh $c --max-bitrate 190m" "uftp.sh $c -R 190000" "$ours $c --rate 190M"
fi
if want linkbound; then
	c="-n 8 -l 5 -s 64"
	PB_LINK_RATE=50mbit race "udpcast.sh $c --max-bitrate 47m" "uftp.sh $c -R 47000" "$ours $c --rate 47M"
fi
