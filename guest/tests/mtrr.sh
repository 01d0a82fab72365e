#!/bin/sh
# The guest reprograms the MTRRs through Linux (/proc/mtrr: a write-through
# range of 16 KiB in RAM, then removed again); Lamina's EPT memory types
# must follow (asserted by the host from the ept_ status lines).
types() { echo "$1: $(laminactl status | grep '^ept_' | tr '\n' ' ')"; }
[ -w /proc/mtrr ] || { echo "mtrr: no /proc/mtrr"; exit 1; }
types before
echo "base=0x2004000 size=0x4000 type=write-through" >/proc/mtrr || exit 1
types added
reg=$(sed -n 's/^reg0*\([0-9][0-9]*\): base=0x0*2004000 .*/\1/p' /proc/mtrr)
[ -n "$reg" ] || { echo "mtrr: the new range is not in /proc/mtrr"; cat /proc/mtrr; exit 1; }
echo "disable=$reg" >/proc/mtrr || exit 1
types removed
