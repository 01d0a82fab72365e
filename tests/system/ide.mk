# IDE disk encryption (tests/system/ide.sh): three boots on -M pc with
# encrypt=ata:0.1 on the same images (write; reboot and a kill in the
# middle of writes; fsck and hostile DMA), the images checked on the host
# with lamina-disk; one Bochs (VT-x) boot with a passphrase.
#
#   make check-ide       the QEMU boots, results in $(RESULTS)/ide.txt
#   make check-ide-vmx   the Bochs boot, results in $(RESULTS)/ide-vmx.txt
# Both are part of `make check`.
CHECK_TARGETS += check-ide check-ide-vmx
.PHONY: check-ide check-ide-vmx
check-ide: system-prereqs $(BUILD)/lamina-disk
	@tools/need-pkgs.sh e2fsprogs xxd
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/ide.sh

check-ide-vmx: vmx-prereqs $(BUILD)/lamina-disk
	@tools/need-pkgs.sh xxd
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/ide.sh --vmx

# `make bench`: disk throughput bare, under Lamina, mediated without and
# with encryption (tools/bench-disk.sh).
BENCH_TARGETS += bench-disk
.PHONY: bench-disk
bench-disk: $(BUILD)/lamina.elf guest
	@BUILD=$(BUILD) tools/bench-disk.sh -c ide
