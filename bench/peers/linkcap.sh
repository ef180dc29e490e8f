# shellcheck shell=bash
# linkcap.sh - an overlay for the peers harness's lib.sh (PEERS_DIR): with PB_LINK_RATE
# set (tc rate syntax, e.g. 200mbit), every link of the bridge is capped with a token bucket
# filter (tbf) in both directions - the host's pbv0 egress and the bridge port's egress towards
# that host - like a switched LAN whose ports run at that speed. Without PB_LINK_RATE nothing
# changes. race.sh appends this file to a private copy of lib.sh (the shared harness is
# read-only and stays untouched); the later definitions below then override lib.sh's.
#
# tbf: burst 128 KB (it must exceed rate/HZ or the rate is not reached) and a 20 ms queue
# (limit = rate x 20 ms + burst), about what a LAN switch port buffers. Beyond it, tbf drops:
# a sender faster than the link loses packets at its own link, as on real Ethernet.

PB_LINK_RATE=${PB_LINK_RATE:-}

pb_tbf() { # pb_tbf NS DEV
	tc -n "$1" qdisc replace dev "$2" root tbf rate "$PB_LINK_RATE" burst 128kb latency 20ms ||
		pb_die "tc tbf on $2 in $1 failed (rate $PB_LINK_RATE)"
}

eval "pb_netns_up_uncapped() $(declare -f pb_netns_up | tail -n +2)"
pb_netns_up() {
	pb_netns_up_uncapped "$@" || return 1
	[ -n "$PB_LINK_RATE" ] || return 0
	local i
	pb_tbf "$PB_SNS" "$PB_IF"
	pb_tbf "$PB_SWNS" vs
	for ((i = 1; i <= $1; i++)); do
		pb_tbf "$(pb_rns "$i")" "$PB_IF"
		pb_tbf "$PB_SWNS" "vr$i"
	done
}

eval "pb_report_uncapped() $(declare -f pb_report | tail -n +2)"
pb_report() { # the result line says the links were capped
	if [ -n "$PB_LINK_RATE" ]; then pb_report_uncapped "$@" "link=$PB_LINK_RATE"; else pb_report_uncapped "$@"; fi
}
