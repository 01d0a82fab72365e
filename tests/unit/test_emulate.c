/* Emulation of decoded accesses (arch/x86/emulate.c) from the bytes up:
 * instruction bytes -> x86_decode -> emulate_access against a fake device,
 * checking the registers, flags and device accesses the CPU would give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/emulate.h"

#define CF 0x001ull
#define PF 0x004ull
#define ZF 0x040ull
#define SF 0x080ull
#define OF 0x800ull
#define DF 0x400ull

static struct {
	u64 value;        /* what reads return */
	u64 last_addr, last_write;
	unsigned last_size, reads, writes;
} dev;

static u64 fake_read(void *ctx, u64 addr, unsigned size)
{
	dev.reads++;
	dev.last_addr = addr;
	dev.last_size = size;
	return dev.value;
}

static void fake_write(void *ctx, u64 addr, unsigned size, u64 v)
{
	dev.writes++;
	dev.last_addr = addr;
	dev.last_size = size;
	dev.last_write = v;
}

static const struct emul_dev fake = { fake_read, fake_write, NULL };

static enum emul_result run(struct guest_regs *r, const char *bytes, size_t len, u64 value)
{
	struct decoded_insn d;

	memset(&dev, 0, sizeof(dev));
	dev.value = value;
	assert_int_equal(x86_decode((const u8 *)bytes, len, DECODE_64, &d), 0);
	assert_int_equal(d.len, len);
	return emulate_access(r, &d, 0xfee00030, &fake);
}

#define RUN(r, s, v) run(r, s, sizeof(s) - 1, v)

static void test_loads(void **state)
{
	struct guest_regs r = { .rax = ~0ull, .rcx = 0x1111222233334444ull };

	assert_int_equal(RUN(&r, "\x8b\x03", 0x12345678), EMUL_DONE);        /* mov (%rbx),%eax */
	assert_int_equal(r.rax, 0x12345678);                                   /* zero-extended */
	assert_int_equal(dev.last_size, 4);
	r.rax = ~0ull;
	assert_int_equal(RUN(&r, "\x8a\x23", 0x5a), EMUL_DONE);              /* mov (%rbx),%ah */
	assert_int_equal(r.rax, 0xffffffffffff5affull);
	assert_int_equal(RUN(&r, "\x66\x8b\x0b", 0xbeef), EMUL_DONE);        /* mov (%rbx),%cx */
	assert_int_equal(r.rcx, 0x111122223333beefull);
	assert_int_equal(RUN(&r, "\x48\x0f\xb6\x0b", 0x80), EMUL_DONE);      /* movzbq */
	assert_int_equal(r.rcx, 0x80);
	r.rdx = ~0ull;
	assert_int_equal(RUN(&r, "\x0f\xbf\x13", 0x8000), EMUL_DONE);        /* movswl (%rbx),%edx */
	assert_int_equal(r.rdx, 0xffff8000ull);
	assert_int_equal(RUN(&r, "\x48\x0f\xbe\x13", 0x7f), EMUL_DONE);      /* movsbq */
	assert_int_equal(r.rdx, 0x7f);
	r.r9 = 0;
	assert_int_equal(RUN(&r, "\x4c\x8b\x0b", 0x8877665544332211ull), EMUL_DONE); /* mov (%rbx),%r9 */
	assert_int_equal(r.r9, 0x8877665544332211ull);
	assert_int_equal(dev.last_addr, 0xfee00030);
}

static void test_stores(void **state)
{
	struct guest_regs r = { .rax = 0xaabbccdd11223344ull, .rsi = 0x40 };

	assert_int_equal(RUN(&r, "\x89\x03", 0), EMUL_DONE);                 /* mov %eax,(%rbx) */
	assert_int_equal(dev.last_write, 0x11223344);
	assert_int_equal(dev.last_size, 4);
	assert_int_equal(RUN(&r, "\x88\x23", 0), EMUL_DONE);                 /* mov %ah,(%rbx) */
	assert_int_equal(dev.last_write, 0x33);
	assert_int_equal(RUN(&r, "\x40\x88\x33", 0), EMUL_DONE);             /* mov %sil,(%rbx) */
	assert_int_equal(dev.last_write, 0x40);
	assert_int_equal(RUN(&r, "\x48\xc7\x03\xfe\xff\xff\xff", 0), EMUL_DONE); /* movq $-2 */
	assert_int_equal(dev.last_write, 0xfffffffffffffffeull);
	assert_int_equal(dev.last_size, 8);
	assert_int_equal(RUN(&r, "\x66\xc7\x03\x34\x12", 0), EMUL_DONE);     /* movw $0x1234 */
	assert_int_equal(dev.last_write, 0x1234);
	assert_int_equal(dev.reads, 0);
}

static void test_alu(void **state)
{
	struct guest_regs r = { .rflags = 0x202, .rcx = 5 };

	/* lock orl $4,(%rbx): read-modify-write, flags from the result. */
	assert_int_equal(RUN(&r, "\xf0\x83\x0b\x04", 0x10), EMUL_DONE);
	assert_int_equal(dev.last_write, 0x14);
	assert_int_equal(dev.reads, 1);
	assert_int_equal(r.rflags & (ZF | CF | SF), 0);
	assert_int_equal(r.rflags & 0x200, 0x200); /* IF untouched */
	/* cmpl $0x10,(%rbx): equal, no write. */
	assert_int_equal(RUN(&r, "\x83\x3b\x10", 0x10), EMUL_DONE);
	assert_int_equal(dev.writes, 0);
	assert_true(r.rflags & ZF);
	/* cmp %ecx,(%rbx) with mem 3 < ecx 5: borrow, negative. */
	assert_int_equal(RUN(&r, "\x39\x0b", 3), EMUL_DONE);
	assert_true(r.rflags & CF);
	assert_true(r.rflags & SF);
	/* sub (%rbx),%ecx: register destination, 5 - 7 = -2, zero-extended. */
	assert_int_equal(RUN(&r, "\x2b\x0b", 7), EMUL_DONE);
	assert_int_equal(r.rcx, 0xfffffffeull);
	assert_true(r.rflags & CF);
	assert_int_equal(dev.writes, 0);
	/* adc %ecx,(%rbx) with CF set: mem + ecx + 1. */
	r.rcx = 1;
	r.rflags |= CF;
	assert_int_equal(RUN(&r, "\x11\x0b", 0xffffffff), EMUL_DONE);
	assert_int_equal(dev.last_write, 1);
	assert_true(r.rflags & CF);
	/* testb $0x80,(%rbx) on 0x7f: zero. */
	assert_int_equal(RUN(&r, "\xf6\x03\x80", 0x7f), EMUL_DONE);
	assert_true(r.rflags & ZF);
	assert_int_equal(dev.writes, 0);
	/* andl $0xfffffffe (sign-extended imm8 -2) on 0x80000001: SF, no OF. */
	assert_int_equal(RUN(&r, "\x83\x23\xfe", 0x80000001), EMUL_DONE);
	assert_int_equal(dev.last_write, 0x80000000);
	assert_true(r.rflags & SF);
	assert_int_equal(r.rflags & (OF | CF | ZF), 0);
	/* addb $1 on 0x7f: signed overflow. */
	assert_int_equal(RUN(&r, "\x80\x03\x01", 0x7f), EMUL_DONE);
	assert_int_equal(dev.last_write, 0x80);
	assert_true(r.rflags & OF);
	/* xor %eax,(%rbx) with equal values: zero, parity even. */
	r.rax = 0x55;
	assert_int_equal(RUN(&r, "\x31\x03", 0x55), EMUL_DONE);
	assert_int_equal(dev.last_write, 0);
	assert_true(r.rflags & ZF);
	assert_true(r.rflags & PF);
}

static void test_bit_ops(void **state)
{
	struct guest_regs r = { .rflags = 0x2, .rcx = 35 };

	/* lock btsl %ecx,(%rdi): bit 35 of the dword unit = bit 3. */
	assert_int_equal(RUN(&r, "\xf0\x0f\xab\x0f", 0x1), EMUL_DONE);
	assert_int_equal(dev.last_write, 0x9);
	assert_int_equal(r.rflags & CF, 0);
	/* btl $0x84,(%rax): imm masked to the operand size = bit 4; read only. */
	assert_int_equal(RUN(&r, "\x0f\xba\x20\x84", 0x10), EMUL_DONE);
	assert_true(r.rflags & CF);
	assert_int_equal(dev.writes, 0);
	/* btrq $63 and btcw. */
	assert_int_equal(RUN(&r, "\x48\x0f\xba\x30\x3f", 0x8000000000000001ull), EMUL_DONE);
	assert_int_equal(dev.last_write, 1);
	assert_true(r.rflags & CF);
	r.rdx = 0;
	assert_int_equal(RUN(&r, "\x66\x0f\xbb\x10", 0x0), EMUL_DONE);  /* btcw %dx,(%rax) */
	assert_int_equal(dev.last_write, 1);
	assert_int_equal(r.rflags & CF, 0);
}

static void test_xchg(void **state)
{
	struct guest_regs r = { .rax = 0xffffffff00000001ull };

	assert_int_equal(RUN(&r, "\x87\x03", 0xcafe), EMUL_DONE); /* xchg %eax,(%rbx) */
	assert_int_equal(dev.last_write, 1);
	assert_int_equal(r.rax, 0xcafe);
}

static void test_strings(void **state)
{
	struct guest_regs r = { .rax = 0x11223344, .rdi = 0x1000, .rcx = 3, .rflags = 0x2 };

	/* rep stosl: one element per call, RIP stays until rCX is 0. */
	assert_int_equal(RUN(&r, "\xf3\xab", 0), EMUL_REPEAT);
	assert_int_equal(dev.last_write, 0x11223344);
	assert_int_equal(r.rdi, 0x1004);
	assert_int_equal(r.rcx, 2);
	assert_int_equal(RUN(&r, "\xf3\xab", 0), EMUL_REPEAT);
	assert_int_equal(RUN(&r, "\xf3\xab", 0), EMUL_DONE);
	assert_int_equal(r.rdi, 0x100c);
	assert_int_equal(r.rcx, 0);
	/* Backwards with DF; 32-bit addressing wraps EDI and zero-extends. */
	r.rflags |= DF;
	r.rdi = 0xffffffff00000002ull;
	assert_int_equal(RUN(&r, "\x67\xab", 0), EMUL_DONE);    /* addr32 stosl */
	assert_int_equal(r.rdi, 0xfffffffeull);
	/* lodsw: into AX only, rSI moves. */
	r.rflags = 0x2;
	r.rax = 0xffffffffffffffffull;
	r.rsi = 0x20;
	assert_int_equal(RUN(&r, "\x66\xad", 0xbeef), EMUL_DONE);
	assert_int_equal(r.rax, 0xffffffffffffbeefull);
	assert_int_equal(r.rsi, 0x22);
	/* rep with rCX already 0 does nothing. */
	r.rcx = 0;
	assert_int_equal(RUN(&r, "\xf3\xab", 0), EMUL_DONE);
	assert_int_equal(dev.writes, 0);
}

static void test_unsupported(void **state)
{
	struct guest_regs r = { 0 };

	assert_int_equal(RUN(&r, "\xe4\x70", 0), EMUL_UNSUPPORTED);     /* in $0x70,%al */
	assert_int_equal(RUN(&r, "\xa4", 0), EMUL_UNSUPPORTED);         /* movsb */
	assert_int_equal(dev.reads + dev.writes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads),
		cmocka_unit_test(test_stores),
		cmocka_unit_test(test_alu),
		cmocka_unit_test(test_xchg),
		cmocka_unit_test(test_bit_ops),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_unsupported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
