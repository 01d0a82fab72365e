#!/bin/bash
# bench-exits.sh - what one exit to Lamina costs the guest, per kind: the
# guest's exitcost loops (guest/tests/exitcost.sh: CPUID, a byte read of
# I/O port 0x80, a 32-bit read of the local APIC's version register)
# bare and under Lamina with trap=io:0x80 trap=mmio:0xfee00000, in the
# same QEMU TCG set-up.  Prints ns per operation both ways, and Lamina's
# own handler time per exit (laminactl status: handling_*); the rest is
# the emulated world switch.
#
#   tools/bench-exits.sh
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
B=$BUILD/bench/exits
mkdir -p "$B"
. tools/bench-lib.sh
bench_start bench-exits "$B/.lock"
params="guest.test=exitcost guest.end=poweroff"
tools/mkiso.sh -o "$B/bare.iso" -m bare -c "$params" >/dev/null 2>&1 || exit 1
tools/mkiso.sh -o "$B/lamina.iso" -m lamina -l "trap=io:0x80 trap=mmio:0xfee00000" \
	-c "$params" >/dev/null 2>&1 || exit 1
for k in bare lamina; do
	tools/qemu-run.sh -i "$B/$k.iso" -l "$B/$k.log" -t 300 ||
		{ echo "bench-exits: the $k boot failed (log $B/$k.log)" >&2; exit 1; }
done

cost() { sed -n -E "s/^exitcost: $2 [0-9]+ ops, ([0-9]+) ns\\/op.*/\\1/p" "$B/$1.log" | head -n 1; }
handling() { sed -n -E "s/^handling_$1: ([0-9]+) ns per exit.*/\\1/p" "$B/lamina.log" | head -n 1; }
{
	echo "One exit's cost under QEMU TCG (-cpu qemu64,+svm,+npt), ns per operation"
	printf '%-34s %8s %8s %16s\n' operation bare Lamina "Lamina's handler"
	for row in "cpuid:cpuid:CPUID (intercepted)" "in:io:IN from port 0x80 (trap=io)" \
		   "mmio:mmio:32-bit MMIO read (trap=mmio)"; do
		IFS=: read -r op kind label <<<"$row"
		printf '%-34s %8s %8s %16s\n' "$label" "$(cost bare "$op")" "$(cost lamina "$op")" \
			"$(handling "$kind")"
	done
} | tee "$B/summary.txt"
