# Lamina's demo/test guest: Debian's kernel, busybox, laminactl and the
# guest test programs in an initramfs (tools/mkguest.sh), a GRUB ISO
# (tools/mkiso.sh), and `make run` to boot it all interactively.
#
#   make guest            build/guest/vmlinuz and build/guest/initrd.img
#   make iso              build/iso/run.iso (Lamina + guest)
#   make run              boot it on this terminal (serial on stdio)
#   make run-bare         the same guest without Lamina
#
# RUN_OPTS adds Lamina options, RUN_CMDLINE guest kernel parameters,
# RUN_QEMU_OPTS options of tools/qemu-run.sh (default -s 2: two CPUs; e.g.
# -M q35 -m 2048 -s 4).

GUEST_DIR   := $(BUILD)/guest
GUEST_PROGS := memprobe cpuwork dio fpstate mmioprobe ioprobe ipiprobe ahciio ahcibad diskio idebad exitcost
GUEST_BINS  := $(addprefix $(GUEST_DIR)/bin/,$(GUEST_PROGS))
GUEST_KERNEL := $(GUEST_DIR)/vmlinuz
GUEST_INITRD := $(GUEST_DIR)/initrd.img
GUEST_FILES := guest/init $(wildcard guest/tests/*.sh)

RUN_OPTS      ?=
RUN_CMDLINE   ?=
RUN_QEMU_OPTS ?= -s 2

.PHONY: guest iso run run-bare

guest: $(GUEST_KERNEL) $(GUEST_INITRD)

$(GUEST_DIR)/bin/%: guest/%.c guest/pattern.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -static -o $@ $<

# The kernel stage is cached under $(GUEST_DIR): it only downloads when
# linux-image-amd64 points to a new kernel package.
$(GUEST_KERNEL): tools/mkguest.sh
	tools/mkguest.sh kernel $(GUEST_DIR)

$(GUEST_INITRD): $(GUEST_KERNEL) $(BUILD)/laminactl $(GUEST_BINS) $(GUEST_FILES) tools/mkguest.sh
	tools/mkguest.sh initrd $(GUEST_DIR) $(BUILD)/laminactl $(GUEST_BINS)

iso: $(BUILD)/iso/run.iso

$(BUILD)/iso/run.iso: $(BUILD)/lamina.elf $(GUEST_KERNEL) $(GUEST_INITRD) tools/mkiso.sh FORCE
	tools/mkiso.sh -o $@ -m lamina -l "$(RUN_OPTS)" -c "$(RUN_CMDLINE)" --no-quiet

$(BUILD)/iso/run-bare.iso: $(GUEST_KERNEL) $(GUEST_INITRD) tools/mkiso.sh FORCE
	tools/mkiso.sh -o $@ -m bare -c "$(RUN_CMDLINE)" --no-quiet

run: $(BUILD)/iso/run.iso
	tools/qemu-run.sh --interactive -i $< $(RUN_QEMU_OPTS)

run-bare: $(BUILD)/iso/run-bare.iso
	tools/qemu-run.sh --interactive -i $< $(RUN_QEMU_OPTS)

.PHONY: FORCE
FORCE:
