# The hypervisor builds warning-free with both compilers the project
# supports: `make check-build` builds it with clang (the default build is
# gcc) in $(BUILD)/clang and records build/clang in $(RESULTS)/build.txt.
CHECK_TARGETS += check-build
.PHONY: check-build
check-build:
	@mkdir -p $(RESULTS)
	@if command -v clang >/dev/null && \
	   $(MAKE) --no-print-directory CC=clang BUILD=$(BUILD)/clang $(BUILD)/clang/lamina.elf \
		>$(RESULTS)/build-clang.log 2>&1; then \
		echo "PASS build/clang" | tee $(RESULTS)/build.txt; \
	else \
		echo "FAIL build/clang: see $(RESULTS)/build-clang.log" | tee $(RESULTS)/build.txt; \
		tail -n 20 $(RESULTS)/build-clang.log; \
	fi
