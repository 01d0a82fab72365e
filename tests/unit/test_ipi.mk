# ICR decoding and IPI destination matching (arch/x86/ipi.c).
test_ipi_SRCS := arch/x86/ipi.c
