# Trapped-device emulation boots (tests/system/emul.sh): the guest's local
# APIC page and CMOS ports trapped and emulated by Lamina.
#
#   make check-emul   results in $(RESULTS)/emul.txt (part of `make check`)
CHECK_TARGETS += check-emul
.PHONY: check-emul
check-emul: system-prereqs
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/emul.sh
