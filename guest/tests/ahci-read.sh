#!/bin/sh
# Second boot of check-ahci: what the first boot wrote reads back through
# Lamina, the file system included; the plaintext disk too.
. /tests/ahci-lib.sh

for_each_region verify
mkdir -p /mnt
step mount -t ext4 "$ENC" /mnt
(cd /mnt && sha256sum -c SUMS) || fail "file sums"
step cmp /bin/busybox /mnt/busybox
step ahciio verify /mnt/pattern 7 0 4 64 2
step umount /mnt
step ahciio verify "$PLAIN" 1 40 16 1024 4 direct
# Port 2, the CD-ROM, is named too: its ATAPI commands (INQUIRY at the
# SCSI scan) were bounced through Lamina's shadow unchanged.
for d in /sys/bus/scsi/devices/*; do
	case "$(readlink -f "$d")" in
	*/ata3/*) [ -f "$d/model" ] && echo "ahci: atapi $(cat "$d/vendor") $(cat "$d/model")" ;;
	esac
done
echo "ahci: all ok"
