#!/bin/sh
# The guest's own view of PCI, next to Lamina's (`laminactl pci`); the host
# (tests/system/pci.sh) checks that Lamina's boot list matches it.
#   guest-pci 0000:00:01.1 0x8086 0x7010 0x010180
n=0
for d in /sys/bus/pci/devices/*; do
	[ -r "$d/vendor" ] || continue
	echo "guest-pci $(basename "$d") $(cat "$d/vendor") $(cat "$d/device") $(cat "$d/class")"
	n=$((n + 1))
done
echo "guest-pci-count $n"
laminactl pci | sed 's/^/lamina-pci /'
