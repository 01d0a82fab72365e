#!/bin/sh
# First boot of check-ahci (tests/system/ahci.sh): known data and a file
# system on the disk of AHCI port 0 (encrypted by Lamina) and known data
# on port 1's (not named: plaintext).  Direct and buffered I/O, many
# requests in flight (NCQ).
. /tests/ahci-lib.sh

n=${ENC#/dev/}
echo "ahci: queue_depth $(cat /sys/block/$n/device/queue_depth)"
for_each_region write
step ahciio write "$PLAIN" 1 40 16 1024 4 direct
drop_caches
for_each_region verify
step ahciio verify "$PLAIN" 1 40 16 1024 4 direct

step mkfs.ext4 -q -F "$ENC" 32M
mkdir -p /mnt
step mount -t ext4 "$ENC" /mnt
step cp /bin/busybox /mnt/busybox
step dd if=/dev/zero of=/mnt/pattern bs=1M count=4
step ahciio write /mnt/pattern 7 0 4 64 2
(cd /mnt && sha256sum busybox pattern >SUMS)
sed 's/^/ahci: sum /' /mnt/SUMS
step umount /mnt
sync
echo "ahci: all ok"
