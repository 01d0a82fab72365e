#!/bin/sh
# Third boot of check-ahci: files written with fsync on the encrypted ext4
# until the host kills QEMU ("ahci: storm running" tells it when); the
# host then checks the decrypted file system with e2fsck.  No NCQ.
. /tests/ahci-lib.sh

# Depth 1 turns NCQ off: READ/WRITE DMA EXT and FLUSH, one at a time.
echo 1 >/sys/block/${ENC#/dev/}/device/queue_depth
echo "ahci: queue_depth $(cat /sys/block/${ENC#/dev/}/device/queue_depth)"
mkdir -p /mnt
step mount -t ext4 "$ENC" /mnt
(cd /mnt && sha256sum -c SUMS >/dev/null) || fail "file sums"
mkdir -p /mnt/storm
i=0
while :; do
	dd if=/dev/urandom of=/mnt/storm/f$i bs=64k count=8 conv=fsync 2>/dev/null
	rm -f /mnt/storm/f$((i - 16))
	[ $i = 8 ] && echo "ahci: storm running"
	i=$((i + 1))
done
