#!/bin/bash
# AHCI disk encryption under QEMU (TCG, AMD SVM + NPT, -M q35): Lamina
# mediates AHCI port 0 (encrypt=ahci:0, a raw XTS-AES-256 key); port 1
# is not named and passes through.
#
#   tests/system/ahci.sh [--judge]     (--judge: re-check the last logs)
#
# Boots (serial logs in $BUILD/system/ahci/<boot>.log), one at a time, on
# the same two fresh 128 MiB images:
#   write   diskbuf=256K; guest/tests/ahci-write.sh: known data on both disks (1 MiB
#           direct requests 4 in flight, 4 KiB direct 8 in flight,
#           buffered, 16 MiB requests), read back; ext4 with files on the
#           encrypted disk
#   read    two CPUs, port 2 (the CD-ROM) named too; guest/tests/ahci-read.sh:
#           everything again after a reboot, the CD-ROM's identity;
#           then guest/tests/ahci-hostile.sh: the guest drives port 0 itself
#           with a PRD, then a command table, then its FIS area, in
#           Lamina's region
#   storm   no NCQ (queue depth 1), diskbuf=256K;
#           guest/tests/ahci-storm.sh: files written with fsync until QEMU
#           is killed
# Tests (PASS/FAIL lines in $RESULTS/ahci.txt):
#   ahci/write, ahci/read     the guest's checks passed, under Lamina, with
#                             NCQ (queue depth > 1), the port mediated, and
#                             Lamina's counters showing the commands
#   ahci/ciphertext           the encrypted image holds no pattern sector in
#                             the clear; the plaintext disk does
#   ahci/decrypt              `lamina-disk decrypt` of the image gives exactly
#                             the guest's data
#   ahci/crash-fsck           after QEMU was killed during fsync'ed writes to
#                             the encrypted ext4, the decrypted file system
#                             needs no more than its journal (e2fsck)
#   ahci/atapi                the CD-ROM on named port 2 answers its SCSI
#                             scan through Lamina, nothing refused
#   ahci/hostile              both hostile commands failed with an ATA error
#                             status, the hostile FIS area was replaced (a
#                             good command still completes), Lamina logged
#                             them and kept running
#   ahci/split                in the write boot (a 256 KiB shadow pool in
#                             64 KiB pieces) commands were split into pieces
#                             and waited for shadow
#   ahci/abar-move            the guest moved ABAR to a free page; the same
#                             hostile commands were refused there (the
#                             mediator followed its registers)
#   ahci/large                in the read boot the guest wrote and read
#                             back 8 MiB as single commands with PRDs of
#                             odd sizes (sectors split across PRDs, runs up
#                             to 2 MiB); decrypt checks the disk
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
RESULTS=${RESULTS:-$BUILD/results}
SYS=$BUILD/system/ahci
mkdir -p "$SYS" "$RESULTS"
out=$RESULTS/ahci.txt
: >"$out"
judge=0
[ "${1:-}" = --judge ] && judge=1

pass() { echo "PASS ahci/$1" | tee -a "$out"; }
fail() {
	echo "FAIL ahci/$1: $2" | tee -a "$out"
	[ -n "${3:-}" ] && tail -n 25 "$3" 2>/dev/null | sed 's/^/    | /'
}

# A fixed test key (XTS-AES-256, 64 bytes), as hex for Lamina and raw for
# lamina-disk.
KEY=$(for i in $(seq 0 63); do printf '%02x' $(( (i * 37 + 11) % 256 )); done)
A=$SYS/a.img B=$SYS/b.img
# AES-NI for Lamina's XTS (SSSE3 and SSE4 with it, see tests/system/README.md).
CPU=qemu64,+svm,+npt,+aes,+pclmulqdq,+ssse3,+sse4.1,+sse4.2
IO=$BUILD/guest/bin/ahciio   # static: runs on the host too

if [ ! -s "$BUILD/lamina.elf" ] || [ ! -s "$BUILD/guest/initrd.img" ] || [ ! -x "$IO" ]; then
	for t in write read atapi hostile abar-move ciphertext decrypt crash-fsck split large; do
		echo "FAIL ahci/$t: lamina.elf or the guest image did not build" | tee -a "$out"
	done
	exit 0
fi

# boot NAME "GUEST PARAMETERS" "MORE LAMINA OPTIONS" CPUS [qemu-run options]
boot() {
	local name=$1 cpus=$4
	if ! tools/mkiso.sh -o "$SYS/$name.iso" -m lamina -l "encrypt=ahci:0 key=$KEY $3" \
		-c "$2 guest.end=poweroff" >"$SYS/$name.mkiso" 2>&1; then
		cp "$SYS/$name.mkiso" "$SYS/$name.log"
		echo 3 >"$SYS/$name.status"
		return
	fi
	tools/qemu-run.sh -i "$SYS/$name.iso" -l "$SYS/$name.log" -t 600 -M q35 -m 1024 \
		-s "$cpus" --cpu "$CPU" -d "$A" -d "$B" "${@:5}"
	echo $? >"$SYS/$name.status"
}

if [ "$judge" = 0 ]; then
	rm -f "$A" "$B"
	truncate -s 128M "$A" "$B"
	# The write boot gives the port a 256 KiB shadow pool: commands are split
	# into 64 KiB pieces and wait for shadow.  The disks are slow (QEMU
	# throttles writes) so that many commands are in the device at once and
	# waiting happens whatever the host's speed.
	boot write guest.test=ahci-write,status diskbuf=256K 1 \
		--drive-opts throttling.bps-write=16000000
	# The read boot has two CPUs: the port's registers trapped on either.
	boot read guest.test=ahci-read,ahci-hostile,status encrypt=ahci:2 2
	# Killed 4 s into a storm of fsync'ed file writes; without NCQ (READ/
	# WRITE DMA EXT and FLUSH one at a time) and with the small pool.
	boot storm guest.test=ahci-storm diskbuf=256K 1 \
		--until '^ahci: storm running' --grace 4
fi

# check_boot NAME TEST: the guest test ran and passed under a mediating Lamina.
check_boot() {
	local name=$1 test=$2 log=$SYS/$1.log st qd
	st=$(cat "$SYS/$name.status" 2>/dev/null || echo 255)
	qd=$(sed -n 's/^ahci: queue_depth \([0-9]*\).*/\1/p' "$log" | head -n 1)
	if [ "$st" != 0 ]; then
		fail "$name" "the boot did not end with the guest's power-off (status $st)" "$log"
	elif ! grep -a -q '^lamina: ahci 00:1f.2: port 0 mediated (encrypted)' "$log"; then
		fail "$name" "Lamina did not mediate AHCI port 0" "$log"
	elif grep -a -q '^lamina: ahci 00:1f.2: port 1 ' "$log"; then
		fail "$name" "Lamina mediated port 1, which is not named" "$log"
	elif ! grep -a -q "guest-test $test: end rc=0" "$log" || ! grep -a -q '^ahci: all ok' "$log"; then
		fail "$name" "the guest's checks failed" "$log"
	elif [ "$name" = read ] && ! grep -a -q '^cpus: 2$' "$log"; then
		fail "$name" "the guest did not run on two CPUs" "$log"
	elif [ "$name" = write ] && ! [ "${qd:-0}" -gt 1 ]; then
		fail "$name" "no NCQ: queue depth ${qd:-unknown}" "$log"
	elif ! grep -a -q -E '^ahci_port0: [1-9][0-9]* commands' "$log"; then
		fail "$name" "laminactl status shows no commands on port 0" "$log"
	else
		pass "$name"
	fi
}
check_boot write ahci-write
check_boot read ahci-read

# ATAPI on a named port: packet commands bounced unchanged.
log=$SYS/read.log
if ! grep -a -q '^lamina: ahci 00:1f.2: port 2 mediated' "$log"; then
	fail atapi "Lamina did not mediate port 2" "$log"
elif ! grep -a -q -E '^ahci: atapi QEMU +QEMU DVD-ROM' "$log"; then
	fail atapi "the CD-ROM's SCSI identity did not come through" "$log"
elif ! grep -a -q -E '^ahci_port2: [1-9][0-9]* commands, .* 0 refused' "$log"; then
	fail atapi "Lamina refused or never saw the CD-ROM's commands" "$log"
else
	pass atapi
fi

log=$SYS/read.log
if ! grep -a -q '^ahci: ahcibad: prd-in-lamina: failed with an error status' "$log" ||
   ! grep -a -q '^ahci: ahcibad: table-in-lamina: failed with an error status' "$log"; then
	fail hostile "a command into Lamina's region did not fail with an error status" "$log"
elif ! grep -a -q '^ahci: ahcibad: fis-in-lamina: completed' "$log" ||
     ! grep -a -q "^ahci: ring: .*ahci port 0: guest command refused: FIS area outside guest RAM or inside Lamina" "$log"; then
	fail hostile "a FIS area in Lamina's region was not replaced (or broke the port)" "$log"
elif ! grep -a -q 'guest-test ahci-hostile: end rc=0' "$log" ||
     ! grep -a -q -E '^ahci: after: ahci_port0: .* [1-9][0-9]* refused' "$log"; then
	fail hostile "Lamina did not count the refused commands or stopped answering" "$log"
elif ! grep -a -q "^ahci: ring: .*ahci port 0: guest command refused: PRD buffer outside guest RAM or inside Lamina" "$log" ||
     ! grep -a -q "^ahci: ring: .*ahci port 0: guest command refused: command table outside guest RAM or inside Lamina" "$log"; then
	fail hostile "Lamina did not log the refused commands" "$log"
else
	pass hostile
fi

# After ABAR moved, the same hostile commands were refused again there.
n() { grep -a -c "^ahci: ahcibad: $1" "$log"; }
if ! grep -a -q '^ahci: ahcibad: ABAR moved to' "$log" ||
   ! grep -a -q -E '^ahci: after: pci_bar_moves: [1-9]' "$log"; then
	fail abar-move "ABAR did not move (or Lamina did not see it move)" "$log"
elif [ "$(n 'prd-in-lamina: failed with an error')" != 2 ] ||
     [ "$(n 'table-in-lamina: failed with an error')" != 2 ] ||
     [ "$(n 'fis-in-lamina: completed')" != 2 ]; then
	fail abar-move "after the move the hostile commands were not refused (the mediator did not follow)" "$log"
else
	pass abar-move
fi

# The pattern's marker must not appear in the encrypted image in the clear.
hits_a=$(grep -a -c LAMINA-AHCI-PATTERN "$A" 2>/dev/null)
hits_b=$(grep -a -c LAMINA-AHCI-PATTERN "$B" 2>/dev/null)
if [ ! -s "$A" ]; then
	fail ciphertext "no disk image"
elif [ "${hits_a:-0}" != 0 ]; then
	fail ciphertext "the encrypted image holds $hits_a plaintext pattern lines"
elif [ "${hits_b:-0}" = 0 ]; then
	fail ciphertext "the plaintext disk (port 1) holds no pattern: the test wrote nothing"
else
	pass ciphertext
fi

# Decrypted on the host, the image holds exactly what the guest wrote.
printf '%s' "$KEY" | xxd -r -p >"$SYS/key.bin"
cp --sparse=always "$A" "$SYS/a.dec"
why=''
if ! "$BUILD/lamina-disk" decrypt --key-file "$SYS/key.bin" "$SYS/a.dec" >"$SYS/decrypt.log" 2>&1; then
	why="lamina-disk decrypt failed"
fi
for r in "1 40 16 1024" "2 56 4 4" "3 60 4 64" "4 64 32 16384" "5 100 8 8192"; do
	[ -n "$why" ] && break
	set -- $r
	"$IO" verify "$SYS/a.dec" "$1" "$2" "$3" "$4" 1 >>"$SYS/decrypt.log" 2>&1 ||
		why="region $1 (at $2 MiB) differs after decryption"
done
if [ -n "$why" ]; then
	fail decrypt "$why" "$SYS/decrypt.log"
else
	pass decrypt
fi

# After the kill, the decrypted ext4 needs at most its journal replayed:
# e2fsck -fy may recover the journal and refresh the superblock's free
# counts (ext4 does not keep those current on disk; mounting does the
# same) but must fix nothing else, then -fn is clean.
head -c 32M "$SYS/a.dec" >"$SYS/a.ext4"
rm -f "$SYS/a.dec"
e2fsck -f -y "$SYS/a.ext4" >"$SYS/fsck.log" 2>&1
rc1=$?
e2fsck -f -n "$SYS/a.ext4" >>"$SYS/fsck.log" 2>&1
rc2=$?
rm -f "$SYS/a.ext4"
st=$(cat "$SYS/storm.status" 2>/dev/null || echo 255)
if [ "$st" != 125 ] || ! grep -a -q '^ahci: storm running' "$SYS/storm.log"; then
	fail crash-fsck "QEMU was not killed in the middle of the writes (status $st)" "$SYS/storm.log"
elif ! grep -a -q '^ahci: queue_depth 1$' "$SYS/storm.log"; then
	fail crash-fsck "the storm boot used NCQ (queue depth not 1)" "$SYS/storm.log"
elif [ "$rc1" -gt 1 ] || [ "$rc2" != 0 ] ||
     awk '/\? yes$/ { print prev } { prev = $0 }' "$SYS/fsck.log" |
	grep -v -q -E '^Free (blocks|inodes) count wrong \('; then
	fail crash-fsck "the file system did not survive the kill (e2fsck $rc1, then $rc2)" "$SYS/fsck.log"
else
	pass crash-fsck
fi

# With a 256 KiB pool, commands must have been split into pieces (more
# pieces than commands) and have waited for shadow.
stats=$(grep -a -E '^ahci_port0: ' "$SYS/write.log" | head -n 1)
cmds=$(echo "$stats" | sed -n -E 's/^ahci_port0: ([0-9]+) commands.*/\1/p')
pieces=$(echo "$stats" | sed -n -E 's/.* ([0-9]+) pieces.*/\1/p')
waits=$(echo "$stats" | sed -n -E 's/.* ([0-9]+) waits.*/\1/p')
if ! grep -a -q -E '^lamina: ahci 00:1f.2: port 0 mediated .* in pieces of 64 KiB' "$SYS/write.log"; then
	fail split "the write boot's shadow pieces are not 64 KiB" "$SYS/write.log"
elif [ "${pieces:-0}" -le "${cmds:-0}" ] || [ "${waits:-0}" = 0 ]; then
	fail split "no command was split or waited ($stats)"
else
	pass split
fi

# The guest's single 8 MiB commands (PRDs of odd sizes) went through the
# mediator both ways; the decrypt test checks what reached the disk.
if ! grep -a -q '^ahci: ahcibad: large: 8 MiB read back right' "$SYS/read.log"; then
	fail large "the 8 MiB single-command write and read back did not work" "$SYS/read.log"
elif ! grep -a -q -E '^ahci: after: ahci_port0: .* largest 8192 KiB' "$SYS/read.log"; then
	fail large "Lamina did not see an 8 MiB command" "$SYS/read.log"
else
	pass large
fi
exit 0
