# Unit tests of the hypervisor's pure logic, compiled for the host.
HV_HOST := tests/unit/hv_host.c
test_core_format_SRCS := core/format.c
test_core_options_SRCS := core/options.c core/format.c $(HV_HOST)
test_boot_multiboot2_SRCS := boot/multiboot2.c $(HV_HOST)
test_pagetable_SRCS := arch/x86/pagetable.c $(HV_HOST)
test_core_format_CFLAGS := -fno-builtin
test_core_hypercall_SRCS := core/hypercall.c
test_decode_SRCS := arch/x86/decode.c
test_guest_mem_SRCS := arch/x86/guest_mem.c
test_insn_cache_SRCS := arch/x86/insn_cache.c arch/x86/decode.c
test_emulate_SRCS := arch/x86/emulate.c arch/x86/decode.c
# emulate.c runs the guest's ALU operation between pushf/popf, as in Lamina.
test_emulate_CFLAGS := -mno-red-zone
test_mtrr_SRCS := arch/x86/mtrr.c core/format.c
