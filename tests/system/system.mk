# System tests: boot Lamina and its Linux guest under QEMU and check the
# serial console (tests/system/run.sh).  Logs: $(BUILD)/system/*.log.
#
#   make check-system   every boot test (part of `make check`)
#   make check-svm      quick: one boot, the boot and status checks
#
# The guest image and lamina.elf are built first; when one of them does
# not build, the tests that need it FAIL with that reason.

CHECK_TARGETS += check-system

.PHONY: check-system check-svm system-prereqs

system-prereqs:
	@$(MAKE) --no-print-directory $(BUILD)/laminactl guest || \
		echo "system: the guest image does not build"
	@$(MAKE) --no-print-directory $(BUILD)/lamina.elf || \
		echo "system: $(BUILD)/lamina.elf does not build"

check-system: system-prereqs
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/run.sh

check-svm: system-prereqs
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/run.sh --quick

# `make bench`: the boot part compares a bare and a Lamina boot of the same
# guest (tools/bench-boot.sh; BENCH_RUNS=3 runs each by default).
BENCH_TARGETS += bench-boot
.PHONY: bench-boot
bench-boot: $(BUILD)/lamina.elf guest
	@BUILD=$(BUILD) tools/bench-boot.sh

# `make bench`: one exit's cost per kind (tools/bench-exits.sh).
BENCH_TARGETS += bench-exits
.PHONY: bench-exits
bench-exits: $(BUILD)/lamina.elf guest
	@BUILD=$(BUILD) tools/bench-exits.sh
