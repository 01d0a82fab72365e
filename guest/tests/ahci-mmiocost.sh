#!/bin/sh
# What Lamina spends handling the AHCI register traps (boot with
# encrypt=ahci:0 and a key or key=none): 4 KiB direct writes, then reads,
# in scrambled order, one command at a time on port 0 (as ahci-bench's
# rand-*-4k); prints "ahci-mmiocost: NAME N exits, X ns handling per exit"
# from laminactl status (handling_mmio: TSC time in Lamina's handler,
# the device's own time for the register accesses included).
. /tests/ahci-lib.sh

snap() {
	laminactl status | awk '/^exits_mmio:/ { e = $2 } /^handling_mmio:/ { n = $2 }
		END { print e + 0, (e + 0) * (n + 0) }'
}
phase() {
	name=$1
	shift
	before=$(snap)
	ahciio "$@" >/dev/null || fail "$*"
	echo "$before $(snap)" | awk -v name="$name" '{ d = $3 - $1;
		printf "ahci-mmiocost: %s %d exits, %.0f ns handling per exit\n", name, d,
			d ? ($4 - $2) / d : 0 }'
}
phase rand-write-4k write "$ENC" 12 64 4 4 1 direct random
phase rand-read-4k verify "$ENC" 12 64 4 4 1 direct random
