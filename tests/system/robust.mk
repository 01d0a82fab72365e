# Robustness boots (tests/system/robust.sh): Lamina's own crash report,
# two CPUs, guest reboot and triple fault, AES-NI self-test.
#
#   make check-robust   results in $(RESULTS)/robust.txt (part of `make check`)
CHECK_TARGETS += check-robust
.PHONY: check-robust
check-robust: system-prereqs
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/robust.sh
