# crypto/ build fragment (included by the top-level Makefile).
#
# The crypto sources are built twice:
#  - for the hypervisor, into $(BUILD)/hv/crypto/*.o, appended to
#    HV_EXTRA_OBJS.  Plain files use HV_CFLAGS (general registers only);
#    the per-ISA XTS paths drop -mgeneral-regs-only and add their ISA flags.
#  - for the host, into $(CRYPTO_LIB) (static library for tools and tests),
#    together with arch/x86/xstate.c so it can be unit-tested in user mode.

CRYPTO_GEN_SRCS  := crypto/mem.c crypto/aes.c crypto/cpu.c crypto/xts.c \
		    crypto/sha256.c crypto/random.c
CRYPTO_SIMD_SRCS := crypto/xts_aesni.c crypto/xts_vaes_avx2.c crypto/xts_vaes_avx512.c
CRYPTO_HDRS      := $(wildcard crypto/*.h) arch/x86/xstate.h

CRYPTO_ISA_xts_aesni       := -maes -msse4.1
CRYPTO_ISA_xts_vaes_avx2   := -maes -mavx2 -mvaes
CRYPTO_ISA_xts_vaes_avx512 := -maes -mavx2 -mavx512f -mavx512vl -mvaes

# ---- hypervisor objects -------------------------------------------------
CRYPTO_HV_GEN_OBJS  := $(patsubst %.c,$(BUILD)/hv/%.o,$(CRYPTO_GEN_SRCS))
CRYPTO_HV_SIMD_OBJS := $(patsubst %.c,$(BUILD)/hv/%.o,$(CRYPTO_SIMD_SRCS))
CRYPTO_HV_OBJS      := $(CRYPTO_HV_GEN_OBJS) $(CRYPTO_HV_SIMD_OBJS)
HV_EXTRA_OBJS       += $(CRYPTO_HV_OBJS)

$(CRYPTO_HV_SIMD_OBJS): $(BUILD)/hv/crypto/%.o: crypto/%.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -mgeneral-regs-only,$(HV_CFLAGS)) $(CRYPTO_ISA_$*) -MMD -MP -c $< -o $@

.PHONY: crypto-hv
crypto-hv: $(CRYPTO_HV_OBJS) $(BUILD)/hv/arch/x86/xstate.o

# ---- host library --------------------------------------------------------
CRYPTO_LIB       := $(BUILD)/host/liblamina_crypto.a
CRYPTO_HOST_GEN  := $(patsubst %.c,$(BUILD)/host/%.o,$(CRYPTO_GEN_SRCS) arch/x86/xstate.c)
CRYPTO_HOST_SIMD := $(patsubst %.c,$(BUILD)/host/%.o,$(CRYPTO_SIMD_SRCS))

# xstate.c must not touch vector registers around XSAVE/XRSTOR, as in the
# hypervisor build.
CRYPTO_HOSTFLAGS_arch/x86/xstate := -mgeneral-regs-only

$(CRYPTO_HOST_GEN): $(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) $(CRYPTO_HOSTFLAGS_$*) -MMD -MP -c $< -o $@

$(CRYPTO_HOST_SIMD): $(BUILD)/host/crypto/%.o: crypto/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) $(CRYPTO_ISA_$*) -MMD -MP -c $< -o $@

$(CRYPTO_LIB): $(CRYPTO_HOST_GEN) $(CRYPTO_HOST_SIMD)
	@rm -f $@
	$(AR) rcs $@ $^

# ---- host tools ------------------------------------------------------------
ALL_TARGETS += $(BUILD)/lamina-disk

$(BUILD)/lamina-disk: tools/lamina-disk.c $(CRYPTO_LIB) $(CRYPTO_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< $(CRYPTO_LIB)

$(BUILD)/crypto-bench: tools/crypto-bench.c $(CRYPTO_LIB) $(CRYPTO_HDRS)
	@tools/need-pkgs.sh libssl-dev
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< $(CRYPTO_LIB) -lcrypto

# `make bench`: XTS throughput per code path next to OpenSSL EVP.
BENCH_TARGETS += bench-crypto
.PHONY: bench-crypto
bench-crypto: $(BUILD)/crypto-bench
	@mkdir -p $(BUILD)/bench
	$(BUILD)/crypto-bench | tee $(BUILD)/bench/crypto.txt

# ---- unit tests (see tests/unit/unit.mk) ------------------------------------
test_crypto_LIBS        := $(CRYPTO_LIB)
test_crypto_xts_SRCS    := tests/unit/xstate_regs.S
test_crypto_xts_LIBS    := $(CRYPTO_LIB) -lcrypto
test_xstate_SRCS        := tests/unit/xstate_regs.S
test_xstate_LIBS        := $(CRYPTO_LIB)
test_lamina_disk_LIBS   := $(CRYPTO_LIB) -lcrypto
test_lamina_disk_DEPS   := $(BUILD)/lamina-disk
test_lamina_disk_CFLAGS := -DLAMINA_DISK='"$(BUILD)/lamina-disk"'

# ---- freestanding check: the hypervisor objects need nothing from outside --
# Built by a sub-make in a private BUILD directory, so that `make -j check`
# cannot race with other suites building the same objects for lamina.elf,
# and a build failure still yields a FAIL line.
CRYPTO_CHECK_BUILD := $(BUILD)/crypto-hv-check
CHECK_TARGETS += check-crypto-hv
.PHONY: check-crypto-hv
check-crypto-hv:
	@mkdir -p $(RESULTS)
	@: > $(RESULTS)/crypto-hv.txt
	@if $(MAKE) --no-print-directory BUILD=$(CRYPTO_CHECK_BUILD) crypto-hv \
			> $(RESULTS)/crypto-hv.log 2>&1; then \
		echo "PASS crypto-hv.build" >> $(RESULTS)/crypto-hv.txt; \
		$(CC) -nostdlib -r -o $(CRYPTO_CHECK_BUILD)/all.o \
			$(patsubst $(BUILD)/%,$(CRYPTO_CHECK_BUILD)/%,$(CRYPTO_HV_OBJS)) \
			$(CRYPTO_CHECK_BUILD)/hv/arch/x86/xstate.o && \
		undef=$$(nm -u $(CRYPTO_CHECK_BUILD)/all.o | awk '{print $$2}'); \
		if [ -z "$$undef" ]; then echo "PASS crypto-hv.self_contained"; \
		else echo "FAIL crypto-hv.self_contained"; \
		     echo "crypto-hv: undefined symbols:" $$undef >&2; \
		fi >> $(RESULTS)/crypto-hv.txt; \
	else \
		echo "FAIL crypto-hv.build" >> $(RESULTS)/crypto-hv.txt; \
		cat $(RESULTS)/crypto-hv.log; \
	fi

-include $(CRYPTO_HV_OBJS:.o=.d) $(CRYPTO_HOST_GEN:.o=.d) $(CRYPTO_HOST_SIMD:.o=.d)

# `make clean` also removes what this fragment builds (prerequisite only;
# the top-level clean recipe stays as it is).
.PHONY: clean-crypto
clean: clean-crypto
clean-crypto:
	rm -rf $(BUILD)/host $(CRYPTO_CHECK_BUILD) $(BUILD)/lamina-disk $(BUILD)/crypto-bench $(BUILD)/bench/crypto.txt
