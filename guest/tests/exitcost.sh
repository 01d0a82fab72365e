#!/bin/sh
# What one exit costs, per kind (tools/bench-exits.sh boots Lamina with
# trap=io:0x80 trap=mmio:0xfee00000; bare, the same loops run untrapped).
exitcost cpuid 20000
exitcost in 0x80 20000
exitcost mmio 0xfee00030 20000
laminactl status 2>/dev/null | grep -E "^(exits_|handling_)"
