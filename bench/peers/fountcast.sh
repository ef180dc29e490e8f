#!/usr/bin/env bash
# fountcast.sh - one fountcast transfer in the peers harness (PEERS_DIR, its lib.sh): the
# sender in its namespace, N receivers each in theirs on the veth bridge, file on tmpfs,
# sha256-verified, one result line in the same format as udpcast.sh / uftp.sh.
#
# Usage: fountcast.sh [-n RECEIVERS] [-s SIZE_MIB] [-l LOSS_PCT] [-t LIMIT_S] [SEND OPTIONS...]
#   Anything else goes to `fountcast send`, e.g. --rate 600M, --recovery fountain.
#   Default data plane: multicast 239.255.42.1:7071 on the bridge (use --unicast for one
#   stream per receiver).
# wall_s runs from the start of the sender (which first reads and hashes the file) until every
# receiver has exited; the receivers are started first, as the harness starts udpcast's and
# UFTP's. Needs the peers scripts: set PEERS_DIR to the harness's directory.
set -u
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
[ -f "$PEERS_DIR/lib.sh" ] || { echo "ERROR: peers harness not found at $PEERS_DIR (set PEERS_DIR)" >&2; exit 1; }
. "$PEERS_DIR/lib.sh"
pb_unpriv "$@"
pb_parse_common "$@"
pb_require node
# The package's bin, what `fountcast` runs where it is installed.
CLI=$ROOT/dist/cli.start.cjs
[ -f "$CLI" ] || pb_die "build first: npm ci (or npm run build) in $ROOT"
pb_begin fountcast

PB_SRC=$(pb_src "$PB_SIZE")
pb_netns_up "$PB_N"
# The wire carries datagrams: the sender's UDP GSO sends are cut into them at its device (as a
# NIC does before transmitting), so each receiver's nftables rule drops datagrams, not bursts.
ip -n "$PB_SNS" link set dev "$PB_IF" gso_max_segs 1

unicast=0 tx_extra=()
for a in "${PB_EXTRA[@]}"; do
	if [ "$a" = --unicast ]; then unicast=1; else tx_extra+=("$a"); fi
done
tx_opts=(--host "$PB_SIP" --port 7070 --receivers "$PB_N" --json --log-level ${FC_LOG:-warn})
[ $unicast = 0 ] && tx_opts+=(--multicast 239.255.42.1:7071 --interface "$PB_SIP" --min-receivers "$PB_N")

# Node parses every certificate NODE_EXTRA_CA_CERTS names when it starts, before any of
# fountcast's code runs: a host that points it at its whole CA bundle for a proxy (as the build
# hosts do, 144 certificates) adds ~20 ms of CPU to every process, a cost of that host's setup
# that a LAN machine does not have and fountcast cannot avoid. The race runs as such a machine
# would; FC_KEEP_CA_CERTS=1 keeps the variable.
[ "${FC_KEEP_CA_CERTS:-0}" = 1 ] || unset NODE_EXTRA_CA_CERTS

# As the harness does for udpcast and UFTP: the receivers are up before the clock starts
# (--wait-for-sender: they retry until the sender listens), then the sender starts.
pb_wait_idle
rpids=() outs=()
for ((i = 1; i <= PB_N; i++)); do
	pb_loss "$(pb_rns "$i")" "$PB_LOSS"
	mkdir -p "$PB_RUN/r$i"
	outs+=("$PB_RUN/r$i/$(basename "$PB_SRC")")
	pb_start "recv$i" "$(pb_rns "$i")" node ${FC_NODE_ARGS:-} "$CLI" receive "$PB_SIP:7070" --wait-for-sender 60s --out "$PB_RUN/r$i/" --interface "$(pb_rip "$i")" --json --log-level ${FC_RLOG:-warn}
	rpids+=("$PB_LAST_PID")
done
# The peers' scripts give their receivers 0.5 s; Node takes ~0.1 s of CPU each to boot, so N
# of them on a 2-core machine get 0.3 + 0.1 N s to be retrying before the clock starts.
sleep "$(awk -v n="$PB_N" 'BEGIN { printf "%.2f", 0.3 + 0.1 * n }')"
pb_mark_start
pb_start sender "$PB_SNS" node ${FC_NODE_ARGS:-} "$CLI" send "$PB_SRC" "${tx_opts[@]}" "${tx_extra[@]}"
spid=$PB_LAST_PID
pb_wait_all "$PB_LIMIT" "$spid" "${rpids[@]}" || echo "timeout after ${PB_LIMIT}s" >&2
pb_mark_end

if ! pb_verify "${outs[@]}"; then
	tail -n 3 "$PB_RUN"/*.log >&2
	exit 1
fi
drops=0
for ((i = 1; i <= PB_N; i++)); do d=$(pb_loss_counter "$(pb_rns "$i")"); drops=$((drops + ${d:-0})); done
mode=multicast
[ $unicast = 1 ] && mode=unicast
opts=$(IFS=_; echo "${tx_extra[*]:-default}" | tr -d ' ')
pb_report fountcast "$PB_N" "$PB_SIZE" "$PB_LOSS" "$(pb_wall)" "dropped_pkts=$drops" "mode=$mode" "opts=$opts"
