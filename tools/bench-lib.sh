# Helpers shared by the benchmark scripts (bash; source it).

# median "V1 V2 ..." [DECIMALS]: the median of the numbers, "-" for none;
# the mean of the middle two is printed with DECIMALS places (default 3).
median() {
	tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g |
		awk -v d="${2:-3}" '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
		      else printf "%.*f\n", d, (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
