# Generic cmocka unit-test runner (included by the top-level Makefile).
#
# Every tests/unit/test_<name>.c becomes the host binary
# $(BUILD)/tests/unit/test_<name>, linked with -lcmocka.  Per-test extras,
# set in any .mk fragment (for example tests/unit/test_<name>.mk, which is
# included automatically):
#   test_<name>_SRCS   := more sources compiled into the binary
#   test_<name>_LIBS   := libraries / archives / -l flags (also prerequisites
#                         when they are files)
#   test_<name>_DEPS   := other prerequisites (e.g. a tool the test runs)
#   test_<name>_CFLAGS := extra compiler flags
#
# `make check-unit` builds and runs each binary with CMOCKA_MESSAGE_OUTPUT=TAP
# and writes `PASS <suite>.<case>` / `FAIL <suite>.<case>` lines into
# $(RESULTS)/unit.txt, where <suite> is the binary name without "test_".
# A binary that does not build, crashes, hangs (timeout) or exits non-zero
# with no failing case still yields a FAIL line.  Raw output goes to
# $(RESULTS)/unit/<suite>.log.

UNIT_DIR     := tests/unit
UNIT_BUILD   := $(BUILD)/tests/unit
UNIT_SRCS    := $(sort $(wildcard $(UNIT_DIR)/test_*.c))
UNIT_NAMES   := $(basename $(notdir $(UNIT_SRCS)))
UNIT_BINS    := $(addprefix $(UNIT_BUILD)/,$(UNIT_NAMES))
UNIT_CFLAGS  := $(HOST_CFLAGS) -Wno-unused-parameter
UNIT_TIMEOUT ?= 120

-include $(filter-out $(UNIT_DIR)/unit.mk,$(wildcard $(UNIT_DIR)/*.mk))

CHECK_TARGETS += check-unit
.PHONY: check-unit unit-bins

unit-bins: $(UNIT_BINS)

.SECONDEXPANSION:
$(UNIT_BINS): $(UNIT_BUILD)/%: $(UNIT_DIR)/%.c $$($$*_SRCS) $$(filter-out -%,$$($$*_LIBS)) $$($$*_DEPS) $(wildcard $(UNIT_DIR)/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) $($*_CFLAGS) -o $@ $< $($*_SRCS) $($*_LIBS) -lcmocka

# Each binary is built on its own so one broken test cannot hide the others.
check-unit:
	@tools/need-pkgs.sh libcmocka-dev libssl-dev
	@mkdir -p $(RESULTS)/unit
	@: > $(RESULTS)/unit.txt
	@for name in $(UNIT_NAMES); do \
		suite=$${name#test_}; \
		if ! $(MAKE) --no-print-directory $(UNIT_BUILD)/$$name \
			> $(RESULTS)/unit/$$suite.build.log 2>&1; then \
			echo "FAIL $$suite.build" >> $(RESULTS)/unit.txt; \
			cat $(RESULTS)/unit/$$suite.build.log; \
			continue; \
		fi; \
		$(UNIT_DIR)/run-tap.sh $$suite $(UNIT_TIMEOUT) $(UNIT_BUILD)/$$name \
			$(RESULTS)/unit/$$suite.log >> $(RESULTS)/unit.txt; \
	done
	@grep -c '^PASS' $(RESULTS)/unit.txt | sed 's/^/unit: /; s/$$/ passed/'
	@grep '^FAIL' $(RESULTS)/unit.txt || true


.PHONY: clean-unit
clean: clean-unit
clean-unit:
	rm -rf $(UNIT_BUILD)
