# VT-x system tests: Lamina and its Linux guest under Bochs 2.7 with an
# Intel CPU model (VMX, EPT, unrestricted guest, VPID); see
# tests/system/vmx.sh.  Three boots (Linux on 2 CPUs, two chain boots),
# logs in $(BUILD)/system/vmx-*.log.
#
#   make check-vmx      boot, status, smp, ept-types, memprotect, poweroff, chain checks
#                       (part of `make check`); results in $(RESULTS)/vmx.txt
#   make bench-vmx      exits by reason and idle/load exit rates under
#                       VT-x (part of `make bench`)
#
# Bochs runs ~85 M instructions/s: the suite takes about 9 minutes.

CHECK_TARGETS += check-vmx

BENCH_TARGETS += bench-vmx

.PHONY: check-vmx bench-vmx vmx-prereqs

vmx-prereqs:
	@$(MAKE) --no-print-directory $(BUILD)/laminactl guest || \
		echo "vmx: the guest image does not build"
	@$(MAKE) --no-print-directory $(BUILD)/lamina.elf || \
		echo "vmx: $(BUILD)/lamina.elf does not build"

check-vmx: vmx-prereqs
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/vmx.sh

bench-vmx: vmx-prereqs
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/vmx.sh --bench
