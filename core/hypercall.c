/* The hypercall ABI of include/lamina/hypercall.h: all in registers. */
#include "core/hypercall.h"
#include "core/log.h"
#include "core/spinlock.h"
#include "core/string.h"
#include "core/version.h"
#include "drivers/pci.h"
#include "lamina/hypercall.h"

static char snapshot[LOG_RING_SIZE];
static size_t snapshot_len;
static spinlock_t snapshot_lock;

static s64 read_stream(struct guest_regs *r)
{
	u64 stream = r->rbx, offset = r->rcx;
	u64 out[6] = { 0 };
	size_t n;

	if (stream != LAMINA_STREAM_STATUS && stream != LAMINA_STREAM_LOG &&
	    stream != LAMINA_STREAM_PCI)
		return -LAMINA_EINVAL;
	spin_lock(&snapshot_lock);
	if (offset == 0)
		snapshot_len = stream == LAMINA_STREAM_LOG ? log_snapshot(snapshot, sizeof(snapshot))
			       : stream == LAMINA_STREAM_PCI ? pci_format(snapshot, sizeof(snapshot))
							     : status_format(snapshot, sizeof(snapshot));
	n = offset < snapshot_len ? MIN(snapshot_len - offset, (u64)LAMINA_HC_READ_MAX) : 0;
	if (n)
		memcpy(out, snapshot + offset, n);
	spin_unlock(&snapshot_lock);

	r->rbx = out[0];
	r->rcx = out[1];
	r->rdx = out[2];
	r->rsi = out[3];
	r->rdi = out[4];
	r->r8 = out[5];
	return n;
}

void hypercall_dispatch(struct guest_regs *r)
{
	s64 ret;

	if (((u32)r->rax & LAMINA_HC_MAGIC_MASK) != LAMINA_HC_MAGIC) {
		r->rax = -LAMINA_ENOSYS;
		return;
	}
	switch ((u32)r->rax & ~LAMINA_HC_MAGIC_MASK) {
	case LAMINA_HC_PROBE:
		r->rbx = LAMINA_SIGNATURE;
		r->rcx = LAMINA_VERSION_CODE;
		ret = 0;
		break;
	case LAMINA_HC_READ:
		ret = read_stream(r);
		break;
	default:
		ret = -LAMINA_ENOSYS;
	}
	r->rax = ret;
}
