#!/usr/bin/env bash
# race.sh - the side-by-side race: udpcast, UFTP and fountcast under the same conditions, in
# the peers harness (../shared/peers: network namespaces on a veth bridge, nftables loss,
# sha256-verified), one median line per tool and case.
#
# Usage: bench/peers/race.sh [-r REPS] [-s SIZE_MIB]     (defaults: 3 runs per case, 256 MiB)
#   npm run bench:peers -- -r 1      a quick single pass
# Needs root or unprivileged user namespaces, and the Debian packages udpcast uftp nftables time
# iproute2 (see ../shared/peers/README.md). Cases: 1 and 4 receivers lossless (fountcast with
# --rate 0: no cap), 4 receivers at 5 % and at 20 % loss each. Results: every run in /dev/shm/peers-bench/race.txt.
set -eu
here=$(dirname "$(readlink -f "$0")")
PEERS_DIR=${PEERS_DIR:-$(readlink -f "$here/../../../shared/peers")}
[ -x "$PEERS_DIR/bench-all.sh" ] || { echo "ERROR: peers harness not found at $PEERS_DIR (set PEERS_DIR)" >&2; exit 1; }
reps=3 size=256
while [ $# -gt 0 ]; do
	case $1 in
	-r) reps=$2; shift 2 ;;
	-s) size=$2; shift 2 ;;
	-h | --help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done
ours=$(realpath --relative-to="$PEERS_DIR" "$here/fountcast.sh")
cases=()
for c in "-n 1" "-n 4" "-n 4 -l 5" "-n 4 -l 20"; do
	# The lossless cases are "no rate cap": fountcast's default 1 Gbit/s ceiling is lifted
	# (--rate 0; udpcast has no cap by default); the lossy ones keep every tool's defaults.
	nocap=""
	case $c in *-l*) ;; *) nocap=" --rate 0" ;; esac
	cases+=("udpcast.sh $c -s $size" "uftp.sh $c -s $size" "$ours $c -s $size$nocap")
done
mkdir -p /dev/shm/peers-bench
PEERS_DIR=$PEERS_DIR exec "$PEERS_DIR/bench-all.sh" -r "$reps" -o /dev/shm/peers-bench/race.txt "${cases[@]}"
