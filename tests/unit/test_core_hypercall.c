/* core/hypercall.c: the register ABI, with hostile arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/hypercall.h"
#include "core/log.h"
#include "lamina/hypercall.h"

static const char *status_text = "version: 0.1.0\nbackend: svm\n";
static char log_text[LOG_RING_SIZE];
static size_t log_len;

size_t status_format(char *buf, size_t size)
{
	size_t n = strlen(status_text);

	memcpy(buf, status_text, n < size ? n : size);
	return n < size ? n : size;
}

static const char *pci_text = "00:00.0 8086:1237 class 06.00.00 host-bridge\n";

size_t pci_format(char *buf, size_t size)
{
	size_t n = strlen(pci_text);

	memcpy(buf, pci_text, n < size ? n : size);
	return n < size ? n : size;
}

size_t log_snapshot(char *dst, size_t size)
{
	size_t n = log_len < size ? log_len : size;

	memcpy(dst, log_text, n);
	return n;
}

static struct guest_regs call(u32 fn, u64 a1, u64 a2)
{
	struct guest_regs r = { .rax = LAMINA_HC_MAGIC | fn, .rbx = a1, .rcx = a2,
				.r9 = 0x99, .rbp = 0x55 };

	hypercall_dispatch(&r);
	return r;
}

/* Reads a whole stream the way laminactl does. */
static size_t read_all(u64 stream, char *out, size_t size)
{
	size_t len = 0;

	for (;;) {
		struct guest_regs r = call(LAMINA_HC_READ, stream, len);
		u64 words[6] = { r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.r8 };

		assert_true((s64)r.rax >= 0 && r.rax <= LAMINA_HC_READ_MAX);
		if (r.rax == 0 || len + r.rax > size)
			return len;
		memcpy(out + len, words, r.rax);
		len += r.rax;
	}
}

static void probe(void **state)
{
	struct guest_regs r = call(LAMINA_HC_PROBE, 0, 0);

	(void)state;
	assert_int_equal(r.rax, 0);
	assert_int_equal(r.rbx, LAMINA_SIGNATURE);
	assert_int_equal(r.rcx >> 16, 0);
	assert_int_equal(r.r9, 0x99); /* untouched */
	assert_int_equal(r.rbp, 0x55);
}

static void status_stream(void **state)
{
	char buf[256] = { 0 };

	(void)state;
	assert_int_equal(read_all(LAMINA_STREAM_STATUS, buf, sizeof(buf)), strlen(status_text));
	assert_string_equal(buf, status_text);
}

static void pci_stream(void **state)
{
	char buf[256] = { 0 };

	(void)state;
	assert_int_equal(read_all(LAMINA_STREAM_PCI, buf, sizeof(buf)), strlen(pci_text));
	assert_string_equal(buf, pci_text);
}

static void long_log_stream(void **state)
{
	static char buf[LOG_RING_SIZE + 64];

	(void)state;
	for (size_t i = 0; i < sizeof(log_text); i++)
		log_text[i] = 'a' + i % 26;
	log_len = sizeof(log_text);
	assert_int_equal(read_all(LAMINA_STREAM_LOG, buf, sizeof(buf)), sizeof(log_text));
	assert_memory_equal(buf, log_text, sizeof(log_text));
}

static void hostile_arguments(void **state)
{
	struct guest_regs r;

	(void)state;
	r = call(LAMINA_HC_READ, 7, 0);
	assert_int_equal((s64)r.rax, -LAMINA_EINVAL);
	r = call(LAMINA_HC_READ, LAMINA_STREAM_STATUS, 0); /* snapshot */
	r = call(LAMINA_HC_READ, LAMINA_STREAM_STATUS, UINT64_MAX);
	assert_int_equal(r.rax, 0);
	assert_int_equal(r.rbx, 0);
	r = call(LAMINA_HC_READ, LAMINA_STREAM_STATUS, UINT64_MAX - 10);
	assert_int_equal(r.rax, 0);
	r = call(0xffff, 0, 0);
	assert_int_equal((s64)r.rax, -LAMINA_ENOSYS);

	r = (struct guest_regs){ .rax = 0x12340000 };
	hypercall_dispatch(&r);
	assert_int_equal((s64)r.rax, -LAMINA_ENOSYS);
	/* Only the low 32 bits select the call. */
	r = (struct guest_regs){ .rax = 0xdeadbeef00000000ull | LAMINA_HC_MAGIC };
	hypercall_dispatch(&r);
	assert_int_equal(r.rax, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(probe),
		cmocka_unit_test(status_stream),
		cmocka_unit_test(pci_stream),
		cmocka_unit_test(long_log_stream),
		cmocka_unit_test(hostile_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
