# PCI boots (tests/system/pci.sh): Lamina's PCI list matches the guest's,
# on -M pc (legacy config mechanism) and -M q35 (ECAM from MCFG).
#
#   make check-pci   results in $(RESULTS)/pci.txt (part of `make check`)
CHECK_TARGETS += check-pci
.PHONY: check-pci
check-pci: system-prereqs
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/pci.sh
