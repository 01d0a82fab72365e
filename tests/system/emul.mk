# Trapped-device emulation boots (tests/system/emul.sh): the guest's local
# APIC page and CMOS ports trapped and emulated by Lamina.
#
#   make check-emul       QEMU (AMD SVM); results in $(RESULTS)/emul.txt
#   make check-emul-vmx   Bochs (Intel VT-x), one ~3 min boot;
#                         results in $(RESULTS)/emul-vmx.txt
# Both are part of `make check`.
CHECK_TARGETS += check-emul check-emul-vmx
.PHONY: check-emul check-emul-vmx
check-emul: system-prereqs
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/emul.sh

check-emul-vmx: system-prereqs
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/emul.sh --vmx
