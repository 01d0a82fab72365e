/* Thin wrappers around x86 instructions and architectural constants. */
#ifndef ARCH_X86_CPU_H
#define ARCH_X86_CPU_H

#include "core/types.h"

#define CR0_PE BIT(0)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)
#define CR4_PAE BIT(5)
#define CR4_PGE BIT(7)
#define CR4_OSFXSR BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_OSXSAVE BIT(18)

#define RFLAGS_TF BIT(8)
#define RFLAGS_IF BIT(9)
#define RFLAGS_FIXED BIT(1)

#define MSR_EFER 0xc0000080
#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)
#define EFER_SVME BIT(12)
#define EFER_LMSLE BIT(13)
#define EFER_FFXSR BIT(14)
#define EFER_TCE BIT(15)

#define MSR_PAT 0x277
#define PAT_POWER_ON 0x0007040600070406ull

/* Exception vectors Lamina injects or handles. */
#define VEC_DB 1
#define VEC_UD 6
#define VEC_DF 8
#define VEC_GP 13
#define VEC_PF 14

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;

	asm volatile("cpuid"
		     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(subleaf));
	return r;
}

/* The CPU's physical-address width (36 bits without CPUID 0x80000008). */
static inline unsigned cpu_phys_addr_bits(void)
{
	return cpuid(0x80000000, 0).eax >= 0x80000008 ? cpuid(0x80000008, 0).eax & 0xff : 36;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

#define DEFINE_CR_ACCESS(n)                                                   \
	static inline u64 read_cr##n(void)                                    \
	{                                                                     \
		u64 v;                                                        \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v));                 \
		return v;                                                     \
	}                                                                     \
	static inline void write_cr##n(u64 v)                                 \
	{                                                                     \
		asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory");        \
	}
DEFINE_CR_ACCESS(0)
DEFINE_CR_ACCESS(2)
DEFINE_CR_ACCESS(3)
DEFINE_CR_ACCESS(4)

static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(u16 port, u16 v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline u16 inw(u16 port)
{
	u16 v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(u16 port, u32 v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u32 inl(u16 port)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* A port access of 1, 2 or 4 bytes. */
static inline u32 port_read(u16 port, unsigned size)
{
	return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static inline void port_write(u16 port, unsigned size, u32 v)
{
	if (size == 1)
		outb(port, v);
	else if (size == 2)
		outw(port, v);
	else
		outl(port, v);
}

/* A single access of 1, 2, 4 or 8 bytes to device memory that Lamina
 * reaches through its identity map (pa is the virtual address too). */
static inline u64 phys_read(u64 pa, unsigned size)
{
	volatile void *p = (volatile void *)pa;

	switch (size) {
	case 1: return *(volatile u8 *)p;
	case 2: return *(volatile u16 *)p;
	case 4: return *(volatile u32 *)p;
	default: return *(volatile u64 *)p;
	}
}

static inline void phys_write(u64 pa, unsigned size, u64 v)
{
	volatile void *p = (volatile void *)pa;

	switch (size) {
	case 1: *(volatile u8 *)p = v; break;
	case 2: *(volatile u16 *)p = v; break;
	case 4: *(volatile u32 *)p = v; break;
	default: *(volatile u64 *)p = v; break;
	}
}

static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}

static inline u64 read_rflags(void)
{
	u64 f;

	asm volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static inline bool cpu_is_amd(void)
{
	struct cpuid_regs r = cpuid(0, 0);

	return r.ebx == 0x68747541; /* "Auth"enticAMD */
}

static inline bool cpu_is_intel(void)
{
	struct cpuid_regs r = cpuid(0, 0);

	return r.ebx == 0x756e6547; /* "Genu"ineIntel */
}

void __noreturn cpu_halt_forever(void);
void __noreturn machine_reset(void);

#endif
