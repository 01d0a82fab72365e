#!/bin/sh
# Disk-encryption checks from inside the guest (tests/system/disk.sh).
#
# The host attaches an encrypted disk E (named in Lamina's encrypt=) and a
# plain disk P; guest.disk_enc= and guest.disk_plain= name them (default
# /dev/sdb and /dev/sda).  E carries a partition table written by the host
# (partition 1 from 32 MiB); the raw area before it holds the data regions:
#   A  1-9 MiB    marker text, 1 MiB O_DIRECT writes
#   B  9-17 MiB   random data, buffered writes, then 4 KiB O_DIRECT random
#                 overwrites
#   C  24-32 MiB  random data, one 8 MiB O_DIRECT write (max_sectors_kb
#                 raised: requests larger than Lamina's shadow buffer)
# guest.disk=<phase>:
#   write   regions A-C, read back (direct and buffered), ext4 on E1 with
#           files, remount and verify; the marker on P; "disk-sha" lines
#   verify  after a reboot: regions and files match the sums kept on E1
#   storm   verify, then write files with fsync until the host kills QEMU
#   fsck    mount (journal replay) and verify, unmount, e2fsck -fn
#   small   region A only, 1 MiB (Bochs)
# Prints "disk: ok <phase>" when every check of the phase passed.
E=/dev/sdb P=/dev/sda phase=write
for p in $(cat /proc/cmdline); do
	case "$p" in
	guest.disk=*) phase=${p#guest.disk=} ;;
	guest.disk_enc=*) E=${p#guest.disk_enc=} ;;
	guest.disk_plain=*) P=${p#guest.disk_plain=} ;;
	esac
done
MARK=LAMINA-PLAINTEXT-MARKER
MB=1048576
M=/mnt/e
T=/tmp/disk
mkdir -p $M $T
failed=0

fail() { echo "disk: FAIL $*"; failed=1; }

wait_dev() {
	for _ in $(seq 1 100); do [ -b "$1" ] && return 0; sleep 0.1; done
	fail "no device $1"; return 1
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
	echo "disk-sha $1 $3 $4 $want"
}

write_regions() {
	marker_file A 8 $T/A
	dd if=$T/A of=$E bs=1M seek=1 oflag=direct 2>/dev/null || fail "write A"
	head -c $((8 * MB)) /dev/urandom >$T/B
	dd if=$T/B of=$E bs=64k seek=$((9 * 16)) 2>/dev/null && sync || fail "write B"
	# 4 KiB random overwrites, mirrored into the expected copy.
	diskio randwrite $E 9 8 500 "$(od -An -N4 -tu4 /dev/urandom)" $T/B || fail "4k writes"
	head -c $((8 * MB)) /dev/urandom >$T/C
	q=/sys/block/${E#/dev/}/queue
	cat $q/max_hw_sectors_kb >$q/max_sectors_kb
	dd if=$T/C of=$E bs=8M seek=3 count=1 oflag=direct 2>/dev/null || fail "write C"
	echo "disk: max_sectors_kb $(cat $q/max_sectors_kb)"
	expect A $E 1 8 $T/A
	expect B $E 9 8 $T/B
	expect C $E 24 8 $T/C
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
	for r in A:1 B:9 C:24; do
		echo "${r%:*} $(file_sha $T/${r%:*}) ${r#*:}" >>$M/regions
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
	while read -r name sum off; do
		got=$(dev_sha $E "$off" 8 iflag=direct)
		[ "$got" = "$sum" ] || fail "region $name after reboot"
	done <$M/regions
}

wait_dev $E && wait_dev $P || exit 1
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
	;;
small)
	marker_file A 1 $T/A
	dd if=$T/A of=$E bs=1M seek=1 oflag=direct 2>/dev/null || fail "write A"
	head -c $((MB / 4)) /dev/urandom >$T/R
	dd if=$T/R of=$E bs=4k seek=$((2 * 256)) 2>/dev/null && sync || fail "write R"
	expect A $E 1 1 $T/A
	got=$(dd if=$E bs=4k skip=$((2 * 256)) count=64 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ "$got" = "$(file_sha $T/R)" ] || fail "random region"
	echo "disk-sha R 2 0.25 $(file_sha $T/R)"
	marker_file P 1 $T/P
	dd if=$T/P of=$P bs=1M seek=1 oflag=direct 2>/dev/null || fail "write P"
	;;
*)
	fail "unknown phase $phase"
	;;
esac
[ $failed = 0 ] && echo "disk: ok $phase"
exit $failed
