# AHCI disk encryption (tests/system/ahci.sh): two boots on -M q35 with
# encrypt=ahci:0; the images checked on the host with lamina-disk.
#
#   make check-ahci   results in $(RESULTS)/ahci.txt (part of `make check`)
CHECK_TARGETS += check-ahci
.PHONY: check-ahci
check-ahci: system-prereqs $(BUILD)/lamina-disk
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/ahci.sh

# make bench-ahci: the AHCI mediator's cost (tools/bench-disk.sh -c ahci).
BENCH_TARGETS += bench-ahci
.PHONY: bench-ahci
bench-ahci: $(BUILD)/lamina.elf guest
	@BUILD=$(BUILD) tools/bench-disk.sh -c ahci
