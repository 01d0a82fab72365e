#!/bin/sh
# make bench-ahci (tools/bench-ahci.sh): one command at a time on the disk
# of AHCI port 0, direct I/O: 1 MiB sequential writes and reads (64 MiB),
# 4 KiB writes and reads in scrambled order (4 MiB).  Prints
# "ahci-bench: NAME SECONDS".
. /tests/ahci-lib.sh

bench() {
	name=$1
	shift
	out=$(ahciio "$@") || fail "$*"
	echo "ahci-bench: $name $(echo "$out" | sed -n 's/.*, \([0-9.]*\) s$/\1/p')"
}
bench seq-write-1m write "$ENC" 11 0 64 1024 1 direct
drop_caches
bench seq-read-1m verify "$ENC" 11 0 64 1024 1 direct
bench rand-write-4k write "$ENC" 12 64 4 4 1 direct random
bench rand-read-4k verify "$ENC" 12 64 4 4 1 direct random
