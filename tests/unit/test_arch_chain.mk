test_arch_chain_SRCS := arch/x86/e820.c arch/x86/chain_plan.c
