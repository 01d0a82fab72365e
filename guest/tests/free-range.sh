# Sourced by guest tests that move a BAR (not a test itself).
# free_range /proc/iomem|/proc/ioports SIZE CANDIDATE...: the first
# candidate address whose SIZE bytes nothing in the file claims (the PCI
# bus windows aside, which hold every BAR); nothing when none is free.
free_range() {
	file=$1 size=$2
	shift 2
	for a in "$@"; do
		grep -v ': PCI Bus ' "$file" | sed 's/^ *//; s/ :.*//' | {
			while IFS=- read -r s e; do
				[ $((0x$s)) -le $((a + size - 1)) ] && [ $((0x$e)) -ge $((a)) ] && exit 1
			done
			exit 0
		} && { echo "$a"; return; }
	done
}
