#!/bin/sh
# check-ahci: hostile commands on the mediated port.  The kernel's ahci
# driver lets go of the controller, then ahcibad drives port 0 itself with
# a PRD, then a command table, in Lamina's region (each must fail with an
# ATA error status), then with its FIS area there (Lamina substitutes its
# own; the command completes); Lamina must keep running.  Then one 8 MiB
# write and read back at 100 MiB (pattern seed 5) as single commands with
# PRDs of odd sizes: Linux's driver here never sends more than 128 KiB.
# Last, ABAR moves to a free page (as an OS may move it) and the hostile
# commands run again there: Lamina's mediator must follow the registers.
# Output is printed afterwards, with Lamina's log ring, so it does not mix
# on the serial line with Lamina's own messages from another CPU.
. /tests/free-range.sh
hidden=$(laminactl status | sed -n 's/^memory: \(0x[0-9a-f]*\)-.*/\1/p')
[ -n "$hidden" ] || { echo "ahci: no Lamina region in laminactl status"; exit 1; }
# A free page in the 32-bit PCI window, under the firmware's BARs.
to=$(free_range /proc/iomem 4096 0xc0000000 0xc0100000 0xd0000000 0xe0000000)
[ -n "$to" ] || { echo "ahci: no free page to move ABAR to"; exit 1; }
echo 0000:00:1f.2 >/sys/bus/pci/drivers/ahci/unbind || exit 1
ahcibad 0000:00:1f.2 0 "$hidden" large 5 100 8 move "$to" >/tmp/ahcibad.out 2>&1
rc=$?
sleep 1
sed 's/^/ahci: /' /tmp/ahcibad.out
laminactl log | grep -E 'guest command refused' | sed 's/^/ahci: ring: /'
laminactl status | grep -E '^(ahci_port0|pci_bar_moves):' | sed 's/^/ahci: after: /' || rc=1
exit $rc
