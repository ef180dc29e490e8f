#!/usr/bin/env bash
# race.sh - the side-by-side race: udpcast, UFTP and fountcast under the same conditions, in
# the peers harness (PEERS_DIR: network namespaces on a veth bridge, nftables loss,
# sha256-verified), one median line per tool and case.
#
# Usage: bench/peers/race.sh [-r REPS] [-s SIZE_MIB] [-c CASES] [-T TOOLS]
#   -r runs per case (default 3; the median is kept)   -s file size in MiB (default 256)
#   -c which cases: all (default: lossless, lossy, capped), or a comma-separated list of those
#      and linkbound, heavyloss, group16
#   -T which tools: udpcast,uftp,fountcast (default all three), e.g. -T fountcast for A/B runs
#   npm run bench:peers -- -r 1      a quick single pass
#   npm run bench:peers -- -c group16 -T fountcast -r 5
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
#   heavyloss (not in "all") 4 receivers at 30 % loss each, 128 MiB (-s ignored), every tool's
#             defaults: summed loss over 100 %, past what combined resends serve.
#   group16   (not in "all") 16 receivers at 5 % loss each on 50 Mbit/s links (tbf), 64 MiB
#             (-s ignored), each tool told 47 Mbit/s: a group too large for one combined resend
#             to serve every member. 17 processes share this machine's cores: CPU-bound on 2.
# The shared harness is read-only: it is copied to $PB_WORK/harness with bench/peers/linkcap.sh
# (the tbf overlay, active only when PB_LINK_RATE is set) appended to its lib.sh.
# Results: every run in /dev/shm/peers-bench/race.txt; the medians on stdout.
set -eu
here=$(dirname "$(readlink -f "$0")")
PEERS_DIR=${PEERS_DIR:-$(readlink -f "$here/../../../shared/peers")}
[ -x "$PEERS_DIR/bench-all.sh" ] || { echo "ERROR: peers harness not found at $PEERS_DIR (set PEERS_DIR)" >&2; exit 1; }
reps=3 size=256 which=all tools=udpcast,uftp,fountcast
while [ $# -gt 0 ]; do
	case $1 in
	-r) reps=$2; shift 2 ;;
	-s) size=$2; shift 2 ;;
	-c) which=$2; shift 2 ;;
	-T) tools=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done
extra_cases=linkbound,heavyloss,group16
want() { { [ "$which" = all ] && [[ ",$extra_cases," != *",$1,"* ]]; } || [[ ",$which," == *",$1,"* ]]; }
use() { [[ ",$tools," == *",$1,"* ]]; }

work=${PB_WORK:-/dev/shm/peers-bench}
harness=$work/harness
rm -rf "$harness"
mkdir -p "$harness"
cp -p "$PEERS_DIR"/* "$harness/"
cat "$here/linkcap.sh" >>"$harness/lib.sh"
export PEERS_DIR=$harness
ours=$(realpath --relative-to="$harness" "$here/fountcast.sh")
out=$work/race.txt

# race UDPCAST_ARGS UFTP_ARGS FOUNTCAST_ARGS: the chosen tools (-T) one after the other.
race() {
	local runs=()
	use udpcast && runs+=("udpcast.sh $1")
	use uftp && runs+=("uftp.sh $2")
	use fountcast && runs+=("$ours $3")
	[ ${#runs[@]} -gt 0 ] || { echo "no tool chosen (-T $tools)" >&2; exit 2; }
	"$harness/bench-all.sh" -r "$reps" -o "$out" "${runs[@]}"
}
# all_three "CASE" [FOUNTCAST OPTIONS]: the three tools on one case, one after the other.
all_three() { race "$1 -s $size" "$1 -s $size" "$1 -s $size${2:+ $2}"; }

# "No rate cap": fountcast's default 1 Gbit/s ceiling is lifted (udpcast has no cap by default;
# the harness runs UFTP at -R 1000000, see its README). The lossy cases keep every default.
want lossless && { all_three "-n 1" "--rate 0"; all_three "-n 4" "--rate 0"; }
want lossy && { all_three "-n 4 -l 5"; all_three "-n 4 -l 20"; }
if want capped; then
	c="-n 8 -l 5 -s $size"
	PB_LINK_RATE=200mbit race "$c --max-bitrate 190m" "$c -R 190000" "$c --rate 190M"
fi
if want linkbound; then
	c="-n 8 -l 5 -s 64"
	PB_LINK_RATE=50mbit race "$c --max-bitrate 47m" "$c -R 47000" "$c --rate 47M"
fi
want heavyloss && race "-n 4 -l 30 -s 128" "-n 4 -l 30 -s 128" "-n 4 -l 30 -s 128"
if want group16; then
	c="-n 16 -l 5 -s 64"
	PB_LINK_RATE=50mbit race "$c --max-bitrate 47m" "$c -R 47000" "$c --rate 47M"
fi
