# Lamina — top-level build.  `make` builds the hypervisor and the tools,
# `make check` runs every test, `make run` boots the demo, `make bench` measures.
#
# Sub-makefiles (*.mk) add their own targets and append to the lists below;
# every test runner writes `PASS name` / `FAIL name` lines into
# $(RESULTS)/<suite>.txt and tools/summarize.sh sums them into one line.

BUILD    ?= build
# `make V=1` shows full command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif
RESULTS  := $(BUILD)/results
CC       ?= gcc
HOSTCC   ?= $(CC)

WARN     := -Wall -Wextra -Werror
# Freestanding hypervisor code: no libc, no SIMD (guest owns the vector
# registers), kernel code model at the top of the address space.
HV_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdinc \
	-fno-stack-protector -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
	-mgeneral-regs-only -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-fno-strict-aliasing -I. -Iinclude -isystem $(shell $(CC) -print-file-name=include)
HV_ASFLAGS := -I. -Iinclude -D__ASSEMBLY__ -g
HV_LDFLAGS := -nostdlib -static -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -Wl,-T,boot/lamina.ld

HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -I. -Iinclude

HV_DIRS  := boot core arch/x86 arch/x86/svm arch/x86/vmx drivers $(wildcard drivers/*/)
HV_SRCS  := $(foreach d,$(HV_DIRS),$(wildcard $(d)/*.c) $(wildcard $(d)/*.S))
HV_OBJS  := $(patsubst %,$(BUILD)/hv/%.o,$(basename $(HV_SRCS)))
# crypto/crypto.mk appends the crypto objects built for the hypervisor.
HV_EXTRA_OBJS :=

ALL_TARGETS   := $(BUILD)/lamina.elf $(BUILD)/laminactl
CHECK_TARGETS :=
BENCH_TARGETS :=

.PHONY: all check check-unit check-system bench run clean
all: $(BUILD)/lamina.elf $(BUILD)/laminactl

-include crypto/crypto.mk
-include tests/unit/unit.mk
-include tests/build.mk
# Every suite's fragment (tests/system/*.mk) adds itself to CHECK_TARGETS.
-include $(sort $(wildcard tests/system/*.mk))
-include tests/fuzz/fuzz.mk
-include guest/guest.mk

all: $(ALL_TARGETS)

$(BUILD)/hv/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/hv/%.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(HV_ASFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/lamina.elf: $(HV_OBJS) $(HV_EXTRA_OBJS) boot/lamina.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HV_LDFLAGS) -o $@ $(HV_OBJS) $(HV_EXTRA_OBJS)

$(BUILD)/laminactl: guest/laminactl.c include/lamina/hypercall.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -static -o $@ guest/laminactl.c

# `make check`: every suite, then one summary line.  Suites record results
# even when they fail, so the summary always covers everything that ran.
check:
	@rm -rf $(RESULTS); mkdir -p $(RESULTS)
	@$(MAKE) --no-print-directory -k $(CHECK_TARGETS) || true
	@tools/summarize.sh $(RESULTS)

bench: $(BENCH_TARGETS)

clean:
	rm -rf $(BUILD)/hv $(BUILD)/lamina.elf $(BUILD)/laminactl $(BUILD)/results

-include $(HV_OBJS:.o=.d)
