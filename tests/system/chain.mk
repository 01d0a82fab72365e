# Transparent boot (boot=chain) under QEMU with two disks built by
# tools/mkdisk.sh: GRUB + Lamina on disk 0, the guest's own GRUB, kernel
# and initramfs on disk 1; see tests/system/chain.sh.  Logs in
# $(BUILD)/system/chain/.
#
#   make check-chain    boot, status, e820, memprotect, poweroff and the
#                       negative cases (part of `make check`); results in
#                       $(RESULTS)/chain.txt

CHECK_TARGETS += check-chain

.PHONY: check-chain

check-chain: system-prereqs
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/system/chain.sh
