# Helpers shared by the benchmark scripts (bash; source it).

# median "V1 V2 ..." [DECIMALS]: the median of the numbers, "-" for none;
# the mean of the middle two is printed with DECIMALS places (default 3).
median() {
	tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g |
		awk -v d="${2:-3}" '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
		      else printf "%.*f\n", d, (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_start NAME LOCKFILE: one run at a time per LOCKFILE (a second one
# waits), and the images every benchmark boots must be built.
bench_start() {
	exec 9>"$2"
	flock -n 9 || { echo "$1: another run holds $2; waiting"; flock 9; }
	for f in "$BUILD/lamina.elf" "$BUILD/guest/vmlinuz" "$BUILD/guest/initrd.img"; do
		[ -s "$f" ] || { echo "$1: $f is missing" >&2; exit 1; }
	done
}
