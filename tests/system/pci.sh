#!/bin/bash
# PCI boots under QEMU (TCG, AMD SVM + NPT): the list of PCI functions
# Lamina enumerates at start must be exactly what the guest kernel finds.
#
#   tests/system/pci.sh
#
# Boots (serial logs in $BUILD/system/pci/<boot>.log), one at a time:
#   pc     -M pc: Lamina uses the legacy 0xCF8/0xCFC mechanism (no MCFG);
#          multi-function PIIX (00:01.x), a PCI-PCI bridge with a virtio
#          device behind it (bus 1, a 64-bit prefetchable BAR)
#   q35    -M q35: Lamina uses ECAM from the ACPI MCFG table; more devices
#          (AHCI, ICH9 LPC and SMBus), a PCIe root port with a virtio
#          device behind it
# Each boots with guest.test=status,pci guest.end=poweroff and gives the
# disk controller to the diagnostic mediator pci-watch (pciwatch=).  Checks:
# Lamina's boot lines (`lamina: pci 00:01.1 8086:7010 class 01.01.80 ...`),
# `laminactl pci` and the guest's /sys/bus/pci/devices list the same
# functions with the same vendor, device and class; `pci_devices: N` in
# `laminactl status` is the count; the mechanism is the expected one; the
# bridge was followed; the watched controller is bound, 0xCF8-0xCFF are
# trapped (the guest's list, read through the trap, still matches) and the
# guest's BAR sizing (decode off, then on again) reaches the mediator.
# Tests (PASS/FAIL lines in $RESULTS/pci.txt): pci/<boot>.
set -uo pipefail

. "$(dirname "$0")/lib.sh"
suite_init pci

pass() { echo "PASS pci/$1" | tee -a "$out"; }
fail() { echo "FAIL pci/$1: $2" | tee -a "$out"; tail -n 25 "$SYS/$1.log" 2>/dev/null | sed 's/^/    | /'; }

PARAMS="guest.test=status,pci guest.end=poweroff"
# The disk controller is given to the diagnostic mediator pci-watch: its
# config space is then trapped and the guest's BAR moves reach it.
PC_WATCH=8086:7010   # PIIX3 IDE
Q35_WATCH=8086:2922  # ICH9 AHCI

if [ ! -s "$BUILD/lamina.elf" ] || [ ! -s "$BUILD/guest/initrd.img" ]; then
	for t in pc q35; do
		echo "FAIL pci/$t: lamina.elf or the guest image did not build" | tee -a "$out"
	done
	exit 0
fi

# boot NAME "LAMINA OPTIONS" qemu-run args...
boot() {
	local name=$1 opts=$2
	shift 2
	if ! tools/mkiso.sh -o "$SYS/$name.iso" -m lamina -l "$opts" -c "$PARAMS" \
		>"$SYS/$name.mkiso" 2>&1; then
		cp "$SYS/$name.mkiso" "$SYS/$name.log"
		echo 3 >"$SYS/$name.status"
		return
	fi
	tools/qemu-run.sh -i "$SYS/$name.iso" -l "$SYS/$name.log" -t 240 "$@"
	echo $? >"$SYS/$name.status"
}

# The three views as sorted "0000:bb:dd.f vvvv:dddd cc.ss.pp" lines.
lamina_boot_list() {
	sed -n -E 's/^lamina: pci ([0-9a-f:.]+) ([0-9a-f]{4}:[0-9a-f]{4}) class ([0-9a-f.]{8}).*/\1 \2 \3/p' "$1" |
		sed -E 's/^([0-9a-f]{2}:)/0000:\1/' | sort
}
lamina_ctl_list() {
	sed -n -E 's/^lamina-pci ([0-9a-f:.]+) ([0-9a-f]{4}:[0-9a-f]{4}) class ([0-9a-f.]{8}).*/\1 \2 \3/p' "$1" |
		sed -E 's/^([0-9a-f]{2}:)/0000:\1/' | sort
}
guest_list() {
	sed -n -E 's/^guest-pci ([0-9a-f:.]+) 0x([0-9a-f]{4}) 0x([0-9a-f]{4}) 0x([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/\1 \2:\3 \4.\5.\6/p' "$1" |
		sort
}

check() {
	local name=$1 mech=$2 must=$3 watched=$4 bar=$5 log=$SYS/$1.log st
	st=$(cat "$SYS/$name.status" 2>/dev/null || echo 255)
	lamina_boot_list "$log" >"$SYS/$name.lamina"
	lamina_ctl_list "$log" >"$SYS/$name.laminactl"
	guest_list "$log" >"$SYS/$name.guest"
	local n_guest n_status
	n_guest=$(wc -l <"$SYS/$name.guest")
	n_status=$(sed -n -E 's/^pci_devices: ([0-9]+)$/\1/p' "$log" | head -n 1)
	if [ "$st" != 0 ]; then
		fail "$name" "the boot did not end with the guest's power-off (status $st)"
	elif ! grep -a -q "guest-test pci: end rc=0" "$log"; then
		fail "$name" "the guest test did not run"
	elif [ "$n_guest" -lt 3 ]; then
		fail "$name" "the guest lists only $n_guest PCI functions"
	elif ! grep -a -q -E "^lamina: pci: [0-9]+ functions on [0-9]+ bus(es)? via $mech" "$log"; then
		fail "$name" "Lamina did not enumerate via $mech"
	elif ! diff -u "$SYS/$name.guest" "$SYS/$name.lamina" >"$SYS/$name.diff"; then
		fail "$name" "Lamina's boot list differs from the guest's (see $SYS/$name.diff)"
		sed 's/^/    diff| /' "$SYS/$name.diff"
	elif ! diff -u "$SYS/$name.guest" "$SYS/$name.laminactl" >"$SYS/$name.diff"; then
		fail "$name" "laminactl pci differs from the guest's list (see $SYS/$name.diff)"
		sed 's/^/    diff| /' "$SYS/$name.diff"
	elif [ "$n_status" != "$n_guest" ]; then
		fail "$name" "laminactl status says pci_devices: ${n_status:-none}, the guest has $n_guest"
	elif ! grep -q -E "$must" "$SYS/$name.lamina"; then
		fail "$name" "no function matching '$must' in Lamina's list"
	elif ! grep -q -E '^0000:01:00\.0 1af4:' "$SYS/$name.lamina" ||
	     ! grep -a -q -E '^lamina: pci 00:[0-9a-f]{2}\.0 [0-9a-f:]{9} class 06\.04\.[0-9a-f]{2} .*bus 01-01' "$log"; then
		fail "$name" "Lamina did not follow the bridge to the device on bus 1"
	elif ! grep -a -q "^lamina: pci $watched bound to mediator pci-watch" "$log" ||
	     ! grep -a -q "^lamina: trapping guest I/O ports 0xcf8-0xcff" "$log"; then
		fail "$name" "pci-watch did not take $watched, or the config ports are not trapped"
	elif ! grep -a -q -E "^lamina: pci-watch $watched: BAR$bar 0x[0-9a-f]+ -> off" "$log" ||
	     ! grep -a -q -E "^lamina: pci-watch $watched: BAR$bar off -> 0x[0-9a-f]+" "$log" ||
	     ! grep -a -q -E '^pci_bar_moves: [1-9]' "$log"; then
		fail "$name" "the guest's BAR$bar decode changes (Linux's BAR sizing) did not reach the mediator"
	else
		pass "$name"
	fi
}

boot pc "pciwatch=$PC_WATCH" -M pc -- -device pci-bridge,id=br1,chassis_nr=1,addr=5 \
	-device virtio-rng-pci,bus=br1,addr=0
boot q35 "pciwatch=$Q35_WATCH" -M q35 -- -device pcie-root-port,id=rp1,chassis=1,addr=4 \
	-device virtio-rng-pci,bus=rp1,addr=0
check pc "legacy 0xcf8" ' 8086:7010 01\.01\.80$' 00:01.1 4
check q35 "ECAM" ' 8086:2922 01\.06\.01$' 00:1f.2 5
exit 0
