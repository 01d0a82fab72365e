# Set-up shared by the system-test suites (bash; source it, then call
# suite_init with the suite's name):
#   . "$(dirname "$0")/lib.sh"; suite_init smp
# leaves the shell at the repository's root with
#   BUILD    the build directory ($BUILD or build)
#   RESULTS  where suites write their results ($RESULTS or $BUILD/results)
#   SYS      $BUILD/system/<suite>, for the suite's images and logs
#   out      $RESULTS/<suite>.txt, emptied: the suite's PASS/FAIL lines
suite_init() {
	cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
	BUILD=${BUILD:-build}
	RESULTS=${RESULTS:-$BUILD/results}
	SYS=$BUILD/system/$1
	mkdir -p "$SYS" "$RESULTS"
	out=$RESULTS/$1.txt
	: >"$out"
}
