# Fuzzing with libFuzzer (clang).  `make fuzz` runs each target for
# FUZZ_SECONDS; `make check` runs a short smoke round of each and records
# PASS/FAIL lines in $(RESULTS)/fuzz.txt.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_FLAGS   := -std=gnu11 -g -O1 -I. -Iinclude -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined

fuzz_multiboot2_SRCS := tests/fuzz/fuzz_multiboot2.c boot/multiboot2.c tests/unit/hv_host.c
fuzz_options_SRCS := tests/fuzz/fuzz_options.c core/options.c core/format.c tests/unit/hv_host.c
fuzz_decode_SRCS := tests/fuzz/fuzz_decode.c arch/x86/decode.c arch/x86/emulate.c \
	arch/x86/insn_cache.c
# emulate.c runs the guest's ALU operation between pushf/popf, as in Lamina.
fuzz_decode_CFLAGS := -mno-red-zone
FUZZ_TARGETS := fuzz_multiboot2 fuzz_options fuzz_decode
fuzz_pci_SRCS := tests/fuzz/fuzz_pci.c drivers/pci.c drivers/registry.c core/format.c \
	tests/unit/hv_host.c
FUZZ_TARGETS += fuzz_pci
fuzz_ahci_cmd_SRCS := tests/fuzz/fuzz_ahci_cmd.c drivers/disk/ahci_cmd.c
FUZZ_TARGETS += fuzz_ahci_cmd
fuzz_ata_SRCS := tests/fuzz/fuzz_ata.c drivers/disk/ata.c
FUZZ_TARGETS += fuzz_ata
fuzz_mtrr_SRCS := tests/fuzz/fuzz_mtrr.c arch/x86/mtrr.c core/format.c
FUZZ_TARGETS += fuzz_mtrr

$(FUZZ_BUILD)/%: $$(%_SRCS)
	@tools/need-pkgs.sh clang libclang-rt-14-dev
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $($*_CFLAGS) -o $@ $($*_SRCS)

.PHONY: fuzz check-fuzz
fuzz: $(addprefix $(FUZZ_BUILD)/,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
		$(FUZZ_BUILD)/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=5 -artifact_prefix=$(FUZZ_BUILD)/$$t- $(FUZZ_BUILD)/corpus/$$t || exit 1; \
	done

CHECK_TARGETS += check-fuzz
check-fuzz:
	@mkdir -p $(RESULTS)/fuzz
	@: > $(RESULTS)/fuzz.txt
	@for t in $(FUZZ_TARGETS); do \
		if ! $(MAKE) --no-print-directory $(FUZZ_BUILD)/$$t > $(RESULTS)/fuzz/$$t.build.log 2>&1; then \
			echo "FAIL fuzz.$$t.build" >> $(RESULTS)/fuzz.txt; continue; fi; \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
		if timeout $$(($(FUZZ_SMOKE_SECONDS) * 3)) $(FUZZ_BUILD)/$$t \
			-max_total_time=$(FUZZ_SMOKE_SECONDS) -timeout=5 -seed=1 \
			-artifact_prefix=$(RESULTS)/fuzz/$$t- \
			$(FUZZ_BUILD)/corpus/$$t > $(RESULTS)/fuzz/$$t.log 2>&1; then \
			echo "PASS fuzz.$$t" >> $(RESULTS)/fuzz.txt; \
		else \
			echo "FAIL fuzz.$$t (see $(RESULTS)/fuzz/$$t.log)" >> $(RESULTS)/fuzz.txt; \
		fi; \
	done
	@cat $(RESULTS)/fuzz.txt
