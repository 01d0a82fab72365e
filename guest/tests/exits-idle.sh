#!/bin/sh
# Lamina's exit counter sampled around 5 s of idling.  Sampling costs
# exits itself (laminactl's CPUID and hypercalls): "begin" and "again"
# back to back measure that cost, which the host subtracts.
sample() {
	read -r up _ </proc/uptime
	laminactl status | sed -n "s/^\(exits_[a-z0-9_]*\|uptime\): */sample $1 \1=/p"
	echo "sample $1 guest_uptime=$up"
}
# Wait with a shell builtin (no program started: an exec alone costs
# dozens of CPUID exits), on a FIFO nobody writes to.
fifo=/tmp/exits-idle.fifo
mkfifo "$fifo"
sample begin
sample again
# shellcheck disable=SC3045 # busybox ash has read -t
read -r -t 5 _ <>"$fifo"
sample end
rm -f "$fifo"
