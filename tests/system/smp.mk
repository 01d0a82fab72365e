# SMP boots (tests/system/smp.sh): 4 CPUs under Lamina on QEMU SVM - pinned
# work, offline/online, odd IPIs, power-off, reboot.
#
#   make check-smp   results in $(RESULTS)/smp.txt (part of `make check`)
CHECK_TARGETS += check-smp
.PHONY: check-smp
check-smp: system-prereqs
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/smp.sh
