#!/bin/sh
# What Lamina spends on one trapped MMIO read (boot with
# trap=mmio:0xfee00000): 20000 reads of the local APIC's version register
# (exitcost), and Lamina's handling time of just those exits, from
# laminactl status before and after: "exitcost-mmio: N exits, X ns
# handling per exit".
snap() {
	laminactl status | awk '/^exits_mmio:/ { e = $2 } /^handling_mmio:/ { n = $2 }
		END { print e + 0, (e + 0) * (n + 0) }'
}
before=$(snap)
exitcost mmio 0xfee00030 20000 || exit 1
echo "$before $(snap)" | awk '{ d = $3 - $1;
	printf "exitcost-mmio: %d exits, %.0f ns handling per exit\n", d, d ? ($4 - $2) / d : 0 }'
