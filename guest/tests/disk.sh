#!/bin/sh
# Disk-encryption checks from inside the guest (tests/system/disk.sh).
#
# The host attaches an encrypted disk E (named in Lamina's encrypt=) and a
# plain disk P; guest.disk_enc= and guest.disk_plain= give their SCSI
# addresses (default 0:0:1:0, the primary slave, and 0:0:0:0, the primary
# master): Linux names sdX in the order its probes finish.  E carries a partition table written by the host
# (partition 1 from 32 MiB); the raw area before it holds the data regions:
#   A  1-9 MiB    marker text, 1 MiB O_DIRECT writes
#   B  9-17 MiB   random data, buffered writes, then 4 KiB O_DIRECT random
#                 overwrites
#   D  17-18 MiB  random data, PIO writes (READ/WRITE SECTORS EXT through
#                 SG_IO), read back by PIO and by DMA
#   C  24-32 MiB  tagged sectors, one 8 MiB O_DIRECT write (max_sectors_kb
#                 raised: requests larger than Lamina's shadow buffer)
# "disk-sha NAME OFF_KIB COUNT_KIB SHA256" lines give the host what each
# region must decrypt to.
# guest.disk=<phase>:
#   write   regions A-C, read back (direct and buffered), ext4 on E1 with
#           files, remount and verify; the marker on P; "disk-sha" lines
#   verify  after a reboot: regions and files match the sums kept on E1
#   storm   verify, then write files with fsync until the host kills QEMU
#   fsck    mount (journal replay) and verify, unmount, e2fsck -fn; then the
#           kernel's driver lets go and idebad drives the channel with DMA
#           aimed at Lamina's region (guest.disk_pci=, guest.disk_unit=)
#   small   region A only, 1 MiB (Bochs)
# Prints "disk: ok <phase>" when every check of the phase passed.
enc=0:0:1:0 plain=0:0:0:0 phase=write
for p in $(cat /proc/cmdline); do
	case "$p" in
	guest.disk=*) phase=${p#guest.disk=} ;;
	guest.disk_enc=*) enc=${p#guest.disk_enc=} ;;
	guest.disk_plain=*) plain=${p#guest.disk_plain=} ;;
	esac
done
MARK=LAMINA-PLAINTEXT-MARKER
MB=1048576
M=/mnt/e
T=/tmp/disk
mkdir -p $M $T
failed=0

fail() { echo "disk: FAIL $*"; failed=1; }

# The block device of SCSI address $1.
disk_at() {
	for _ in $(seq 1 100); do
		for d in /sys/block/sd*; do
			[ -e "$d/device/scsi_device/$1" ] && [ -b "/dev/${d##*/}" ] &&
				{ echo "/dev/${d##*/}"; return 0; }
		done
		sleep 0.1
	done
	return 1
}

# sha256 of COUNT MiB of DEV at MiB offset OFF, read with FLAGS for dd.
dev_sha() { dd if="$1" bs=1M skip="$2" count="$3" $4 2>/dev/null | sha256sum | cut -d' ' -f1; }
file_sha() { sha256sum "$1" | cut -d' ' -f1; }

marker_file() { yes "$MARK $1" | head -c $(($2 * MB)) >"$3"; }

# expect NAME DEV OFF COUNT FILE: the region reads back as FILE, direct and buffered.
expect() {
	want=$(file_sha "$5")
	got=$(dev_sha "$2" "$3" "$4" iflag=direct)
	[ "$got" = "$want" ] || fail "region $1 direct read: $got, wrote $want"
	echo 3 >/proc/sys/vm/drop_caches
	got=$(dev_sha "$2" "$3" "$4")
	[ "$got" = "$want" ] || fail "region $1 buffered read: $got, wrote $want"
	echo "disk-sha $1 $(($3 * 1024)) $(($4 * 1024)) $want"
}

# "exits_io dma_requests": Lamina's I/O exits (trapped port accesses) and
# the mediated DMA requests of the channel so far.
io_counts() {
	laminactl status | awk '/^exits_io:/ { e = $2 } /^ide_ata0:/ { d = $2 } END { print e + 0, d + 0 }'
}

# traps LABEL COMMAND...: runs COMMAND and prints how many trapped port
# accesses each mediated DMA request it made cost.
traps() {
	label=$1
	shift
	before=$(io_counts)
	"$@" || fail "$label"
	echo "$before $(io_counts)" | awk -v l="$label" '{ n = $4 - $2;
		printf "disk: traps %s: %d requests, %.1f trapped accesses each\n", l, n, n ? ($3 - $1) / n : -1 }'
}

quiet() { "$@" >/dev/null; }

write_regions() {
	marker_file A 8 $T/A
	traps 1m-write dd if=$T/A of=$E bs=1M seek=1 oflag=direct 2>/dev/null
	head -c $((8 * MB)) /dev/urandom >$T/B
	dd if=$T/B of=$E bs=64k seek=$((9 * 16)) 2>/dev/null && sync || fail "write B"
	# 4 KiB random overwrites, mirrored into the expected copy.
	traps 4k-write diskio randwrite $E 9 8 500 "$(od -An -N4 -tu4 /dev/urandom)" $T/B
	traps 4k-read quiet dio $E 500
	traps 1m-read dd if=$E of=/dev/null bs=1M skip=1 count=8 iflag=direct 2>/dev/null
	diskio tag $((24 * 2048)) 16384 >$T/C
	q=/sys/block/${E#/dev/}/queue
	cat $q/max_hw_sectors_kb >$q/max_sectors_kb
	dd if=$T/C of=$E bs=8M seek=3 count=1 oflag=direct 2>/dev/null || fail "write C"
	echo "disk: max_sectors_kb $(cat $q/max_sectors_kb)"
	expect A $E 1 8 $T/A
	expect B $E 9 8 $T/B
	expect C $E 24 8 $T/C
	# PIO: 2048 sectors in commands of 256, then back by PIO and by DMA.
	head -c $MB /dev/urandom >$T/D
	for k in 0 1 2 3 4 5 6 7; do
		dd if=$T/D bs=128k skip=$k count=1 2>/dev/null |
			diskio pio-write $E $((34816 + k * 256)) 256 || fail "PIO write"
	done
	got=$(for k in 0 1 2 3 4 5 6 7; do diskio pio-read $E $((34816 + k * 256)) 256; done |
		sha256sum | cut -d' ' -f1)
	[ "$got" = "$(file_sha $T/D)" ] || fail "PIO read"
	expect D $E 17 1 $T/D
	# A command that moves sectors in a way Lamina does not mediate fails.
	diskio ata-nodata $E 0x45 2>/dev/null
	[ $? = 3 ] || fail "WRITE UNCORRECTABLE EXT was not failed"
	# Large direct reads too (one 8 MiB request).
	got=$(dd if=$E bs=8M skip=3 count=1 iflag=direct 2>/dev/null |
		sha256sum | cut -d' ' -f1)
	[ "$got" = "$(file_sha $T/C)" ] || fail "region C as one 8 MiB read"
}

# Files on ext4 on E1 and the sums every later phase checks.
write_fs() {
	/sbin/mke2fs -t ext4 -q -F ${E}1 || { fail "mke2fs"; return; }
	mount -t ext4 ${E}1 $M || { fail "mount"; return; }
	mkdir $M/data
	cp $T/A $M/data/a
	cp $T/B $M/data/b
	for n in 1 2 3 4 5 6 7 8; do head -c $((n * 37 * 1024)) /dev/urandom >$M/data/small$n; done
	(cd $M/data && sha256sum a b small*) >$M/sums
	for r in A:1:8 B:9:8 D:17:1 C:24:8; do
		name=${r%%:*} rest=${r#*:}
		echo "$name $(file_sha $T/$name) ${rest%:*} ${rest#*:}" >>$M/regions
	done
	sync
	umount $M && mount -t ext4 ${E}1 $M || fail "remount"
	echo 3 >/proc/sys/vm/drop_caches
	(cd $M/data && sha256sum -c -s ../sums) || fail "files after remount"
	umount $M
}

verify_all() {
	mount -t ext4 ${E}1 $M || { fail "mount"; return 1; }
	(cd $M/data && sha256sum -c -s ../sums) || fail "files"
	while read -r name sum off count; do
		got=$(dev_sha $E "$off" "$count" iflag=direct)
		[ "$got" = "$sum" ] || fail "region $name after reboot"
	done <$M/regions
}

# The kernel's driver lets go of the controller; idebad aims DMA at
# Lamina's region on the encrypted unit; Lamina must refuse and run on.
hostile() {
	pci=0000:00:01.1 unit=1
	for p in $(cat /proc/cmdline); do
		case "$p" in
		guest.disk_pci=*) pci=${p#guest.disk_pci=} ;;
		guest.disk_unit=*) unit=${p#guest.disk_unit=} ;;
		esac
	done
	hidden=$(laminactl status | sed -n 's/^memory: \(0x[0-9a-f]*\)-.*/\1/p')
	[ -n "$hidden" ] || { fail "no Lamina region in laminactl status"; return; }
	echo $pci >/sys/bus/pci/drivers/ata_piix/unbind || { fail "unbind"; return; }
	# Last, the bus master's BAR moves to free ports and idebad tries again.
	. /tests/free-range.sh
	to=$(free_range /proc/ioports 16 0xd000 0xd100 0xe000 0xe800)
	[ -n "$to" ] || { fail "no free ports to move the bus master to"; return; }
	idebad $pci 0 $unit "$hidden" 2048 "$to" || fail "idebad"
	laminactl status | grep '^ide_' | sed 's/^/disk: after: /'
}

E=$(disk_at $enc) && P=$(disk_at $plain) || { fail "no disks at $enc and $plain"; exit 1; }
echo "disk: encrypted $E, plain $P"
case "$phase" in
write)
	write_regions
	write_fs
	marker_file P 1 $T/P
	dd if=$T/P of=$P bs=1M seek=1 oflag=direct 2>/dev/null || fail "write P"
	;;
verify)
	verify_all && umount $M
	;;
storm)
	verify_all || exit 1
	traps 4k-read quiet dio $E 200
	laminactl status | grep '^ide_' | sed 's/^/disk: status: /'
	mkdir -p $M/storm
	i=0
	while :; do
		dd if=/dev/urandom of=$M/storm/f$i bs=64k count=8 conv=fsync 2>/dev/null
		[ $i = 8 ] && echo "disk: storm running"
		i=$((i + 1))
	done
	;;
fsck)
	verify_all && umount $M
	/sbin/e2fsck -fn ${E}1 >$T/fsck 2>&1
	rc=$?
	echo "disk: e2fsck rc=$rc"
	[ $rc = 0 ] || { cat $T/fsck; fail "e2fsck"; }
	hostile
	;;
c)
	diskio tag $((24 * 2048)) 16384 >$T/C
	q=/sys/block/${E#/dev/}/queue
	cat $q/max_hw_sectors_kb >$q/max_sectors_kb
	dd if=$T/C of=$E bs=8M seek=3 count=1 oflag=direct 2>/dev/null || fail "write C"
	expect C $E 24 8 $T/C
	;;
small)
	marker_file A 1 $T/A
	dd if=$T/A of=$E bs=1M seek=1 oflag=direct 2>/dev/null || fail "write A"
	head -c $((MB / 4)) /dev/urandom >$T/R
	dd if=$T/R of=$E bs=4k seek=$((2 * 256)) 2>/dev/null && sync || fail "write R"
	expect A $E 1 1 $T/A
	got=$(dd if=$E bs=4k skip=$((2 * 256)) count=64 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ "$got" = "$(file_sha $T/R)" ] || fail "random region"
	echo "disk-sha R 2048 256 $(file_sha $T/R)"
	marker_file P 1 $T/P
	dd if=$T/P of=$P bs=1M seek=1 oflag=direct 2>/dev/null || fail "write P"
	;;
*)
	fail "unknown phase $phase"
	;;
esac
[ $failed = 0 ] && echo "disk: ok $phase"
exit $failed
