/*
 * lamina-disk: encrypt or decrypt a disk image in place with XTS-AES,
 * byte-compatible with Linux dm-crypt "aes-xts-plain64" (cryptsetup plain
 * mode), using Lamina's crypto/ code.
 *
 *   lamina-disk encrypt --key-file KEY IMAGE
 *   lamina-disk decrypt --passphrase-file PASS [--key-size 256|512] IMAGE
 *
 * Exit status: 0 success, 1 I/O error while processing (the image may be
 * partly converted; the message says up to which sector), 2 bad usage or
 * input (nothing was written).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/sha256.h"
#include "crypto/xts.h"

#define DEFAULT_SALT       "lamina-disk"
#define DEFAULT_ITERATIONS 600000u
#define DEFAULT_KEY_BITS   512
#define CHUNK              (4u << 20)           /* bytes per read/write */
#define MAX_KEYFILE        4096

static const char *prog = "lamina-disk";

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s encrypt|decrypt (--key-file KEY | --passphrase-file FILE) [options] IMAGE\n"
"\n"
"Encrypts or decrypts IMAGE in place with XTS-AES, compatible with dm-crypt\n"
"aes-xts-plain64 (cryptsetup open --type plain -c aes-xts-plain64).\n"
"\n"
"Key (exactly one):\n"
"  --key-file KEY          raw XTS key: 32 bytes (XTS-AES-128) or 64 bytes\n"
"                          (XTS-AES-256), K1 then K2, as cryptsetup plain mode\n"
"                          takes it with --key-file.\n"
"  --passphrase-file FILE  derive the key with PBKDF2-HMAC-SHA256 from the\n"
"                          file's contents (one trailing newline is dropped).\n"
"  --key-size BITS         with --passphrase-file: 256 (XTS-AES-128) or 512\n"
"                          (XTS-AES-256, default).\n"
"  --salt STRING           PBKDF2 salt (default \"" DEFAULT_SALT "\").\n"
"  --iterations N          PBKDF2 iterations (default %u).\n"
"\n"
"Range and layout:\n"
"  --sector-size 512|4096  data-unit size in bytes (default 512).\n"
"  --offset SECTOR         first sector to process, in sector-size units\n"
"                          (default 0).\n"
"  --count N               number of sectors (default: to the end).\n"
"  --iv-offset N           add N to every tweak (like dm-crypt's iv_offset /\n"
"                          cryptsetup --skip), default 0.\n"
"  --iv-512                with --sector-size 4096: count tweaks in 512-byte\n"
"                          units (cryptsetup plain default); without it the\n"
"                          tweak is the 4096-byte sector number (cryptsetup\n"
"                          --iv-large-sectors, LUKS2).\n"
"\n"
"The tweak of a sector is its absolute number in IMAGE (plus --iv-offset) as\n"
"a 128-bit little-endian integer (plain64).\n"
"\n"
"Other:\n"
"  --impl NAME             force a code path: generic, aesni, vaes-avx2,\n"
"                          vaes-avx512 (default: fastest available).\n"
"  --progress / --quiet    force / suppress progress on stderr (default:\n"
"                          shown when stderr is a terminal and the run is\n"
"                          larger than 64 MiB).\n"
"  --help                  this text.\n"
"\n"
"Exit status: 0 done, 1 I/O error while converting, 2 bad arguments or input.\n",
		prog, DEFAULT_ITERATIONS);
}

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static uint64_t parse_u64(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		die(2, "%s needs a non-negative integer", opt);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		die(2, "%s: invalid number '%s'", opt, s);
	return v;
}

/* Reads a whole small file; exits 2 on failure. */
static size_t read_small_file(const char *what, const char *path, uint8_t *buf, size_t max)
{
	int fd = open(path, O_RDONLY);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		die(2, "cannot open %s '%s': %s", what, path, strerror(errno));
	while ((n = read(fd, buf + len, max - len)) > 0) {
		len += (size_t)n;
		if (len == max) {
			uint8_t extra;

			if (read(fd, &extra, 1) > 0)
				die(2, "%s '%s' is too large (over %zu bytes)", what, path, max - 1);
			break;
		}
	}
	if (n < 0)
		die(2, "cannot read %s '%s': %s", what, path, strerror(errno));
	close(fd);
	return len;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	const char *key_file = NULL, *pass_file = NULL, *image = NULL, *impl = NULL;
	const char *salt = DEFAULT_SALT;
	uint64_t sector_size = 512, offset = 0, count = UINT64_MAX, iv_offset = 0;
	uint64_t iterations = DEFAULT_ITERATIONS, key_bits = DEFAULT_KEY_BITS;
	uint64_t nsectors, done = 0, iv_mult = 1;
	int encrypt = -1, progress = -1, iv512 = 0, key_size_given = 0, fd, i;
	uint8_t keybuf[MAX_KEYFILE + 1];
	size_t keylen;
	struct xts_key key;
	struct stat st;
	uint8_t *buf;
	double t0, last = 0;

	if (argc > 0 && argv[0] && strrchr(argv[0], '/'))
		prog = strrchr(argv[0], '/') + 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define NEEDARG() do { if (!v) die(2, "option %s needs an argument (see --help)", a); i++; } while (0)
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--key-file")) {
			NEEDARG(); key_file = v;
		} else if (!strcmp(a, "--passphrase-file")) {
			NEEDARG(); pass_file = v;
		} else if (!strcmp(a, "--key-size")) {
			NEEDARG(); key_bits = parse_u64(a, v); key_size_given = 1;
		} else if (!strcmp(a, "--salt")) {
			NEEDARG(); salt = v;
		} else if (!strcmp(a, "--iterations")) {
			NEEDARG(); iterations = parse_u64(a, v);
		} else if (!strcmp(a, "--sector-size")) {
			NEEDARG(); sector_size = parse_u64(a, v);
		} else if (!strcmp(a, "--offset")) {
			NEEDARG(); offset = parse_u64(a, v);
		} else if (!strcmp(a, "--count")) {
			NEEDARG(); count = parse_u64(a, v);
		} else if (!strcmp(a, "--iv-offset")) {
			NEEDARG(); iv_offset = parse_u64(a, v);
		} else if (!strcmp(a, "--iv-512")) {
			iv512 = 1;
		} else if (!strcmp(a, "--impl")) {
			NEEDARG(); impl = v;
		} else if (!strcmp(a, "--progress")) {
			progress = 1;
		} else if (!strcmp(a, "--quiet")) {
			progress = 0;
		} else if (a[0] == '-' && a[1]) {
			die(2, "unknown option '%s' (see --help)", a);
		} else if (encrypt < 0) {
			if (!strcmp(a, "encrypt"))
				encrypt = 1;
			else if (!strcmp(a, "decrypt"))
				encrypt = 0;
			else
				die(2, "unknown command '%s': expected encrypt or decrypt", a);
		} else if (!image) {
			image = a;
		} else {
			die(2, "unexpected argument '%s' (see --help)", a);
		}
#undef NEEDARG
	}
	if (encrypt < 0)
		die(2, "missing command: encrypt or decrypt (see --help)");
	if (!image)
		die(2, "missing IMAGE (see --help)");
	if (!key_file == !pass_file)
		die(2, "give exactly one of --key-file and --passphrase-file");
	if (sector_size != 512 && sector_size != 4096)
		die(2, "--sector-size must be 512 or 4096, not %" PRIu64, sector_size);
	if (iv512 && sector_size != 4096)
		die(2, "--iv-512 only makes sense with --sector-size 4096");
	if (key_size_given && !pass_file)
		die(2, "--key-size applies to --passphrase-file; a key file's size gives the key size");
	if (iv512)
		iv_mult = sector_size / 512;

	/* ---- key ---- */
	if (key_file) {
		keylen = read_small_file("key file", key_file, keybuf, 65);
		if (keylen != 32 && keylen != 64)
			die(2, "key file '%s' holds %zu bytes; XTS needs 32 (XTS-AES-128) "
			       "or 64 (XTS-AES-256)", key_file, keylen);
	} else {
		uint8_t pass[MAX_KEYFILE + 1];
		size_t plen = read_small_file("passphrase file", pass_file, pass, sizeof(pass));

		if (plen && pass[plen - 1] == '\n')
			plen--;
		if (!plen)
			die(2, "passphrase file '%s' is empty", pass_file);
		if (key_bits != 256 && key_bits != 512)
			die(2, "--key-size must be 256 or 512 (bits of XTS key), not %" PRIu64,
			    key_bits);
		if (iterations < 1 || iterations > UINT32_MAX)
			die(2, "--iterations must be between 1 and %u", UINT32_MAX);
		keylen = key_bits / 8;
		pbkdf2_hmac_sha256(pass, plen, salt, strlen(salt), (uint32_t)iterations,
				   keybuf, keylen);
		crypto_wipe(pass, sizeof(pass));
	}
	if (crypto_ct_equal(keybuf, keybuf + keylen / 2, keylen / 2))
		die(2, "the two key halves are identical; XTS needs K1 != K2");
	if (xts_setkey(&key, keybuf, keylen))
		die(2, "cannot use key");
	crypto_wipe(keybuf, sizeof(keybuf));

	if (impl) {
		int found = -1;

		for (i = XTS_IMPL_GENERIC; i < XTS_IMPL_COUNT; i++)
			if (!strcmp(impl, xts_impl_name((enum xts_impl)i)))
				found = i;
		if (found < 0)
			die(2, "unknown --impl '%s' (generic, aesni, vaes-avx2, vaes-avx512)", impl);
		if (xts_force_impl((enum xts_impl)found))
			die(2, "code path '%s' is not available on this CPU", impl);
	}

	/* ---- image ---- */
	fd = open(image, O_RDWR);
	if (fd < 0)
		die(2, "cannot open image '%s': %s", image, strerror(errno));
	if (fstat(fd, &st) < 0)
		die(2, "cannot stat image '%s': %s", image, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		die(2, "'%s' is not a regular file or block device", image);
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);

		if (end < 0)
			die(2, "cannot size '%s': %s", image, strerror(errno));
		st.st_size = end;
	}
	if ((uint64_t)st.st_size % sector_size)
		die(2, "image '%s' is %" PRIu64 " bytes, not a multiple of the sector size %"
		    PRIu64, image, (uint64_t)st.st_size, sector_size);
	nsectors = (uint64_t)st.st_size / sector_size;
	if (offset > nsectors)
		die(2, "--offset %" PRIu64 " is beyond the end of the image (%" PRIu64
		    " sectors)", offset, nsectors);
	if (count == UINT64_MAX)
		count = nsectors - offset;
	else if (count > nsectors - offset)
		die(2, "--offset %" PRIu64 " --count %" PRIu64 " goes beyond the end of the "
		    "image (%" PRIu64 " sectors)", offset, count, nsectors);
	if (progress < 0)
		progress = isatty(2) && count * sector_size > (64u << 20);

	buf = aligned_alloc(4096, CHUNK);
	if (!buf)
		die(1, "out of memory");
	t0 = now();
	while (done < count) {
		uint64_t n = count - done, sec = offset + done;
		size_t bytes, got = 0;
		off_t pos = (off_t)(sec * sector_size);
		int rc;

		if (n > CHUNK / sector_size)
			n = CHUNK / sector_size;
		bytes = (size_t)(n * sector_size);
		while (got < bytes) {
			ssize_t r = pread(fd, buf + got, bytes - got, pos + (off_t)got);

			if (r <= 0)
				die(1, "read error at sector %" PRIu64 ": %s (sectors %" PRIu64
				    "..%" PRIu64 " were converted)", sec,
				    r ? strerror(errno) : "unexpected end of file", offset, sec);
			got += (size_t)r;
		}
		if (iv_mult == 1) {
			rc = encrypt ? xts_encrypt_units(&key, sec + iv_offset, sector_size,
							 buf, buf, bytes)
				     : xts_decrypt_units(&key, sec + iv_offset, sector_size,
							 buf, buf, bytes);
		} else {
			uint64_t s;
			uint8_t tw[16];

			rc = 0;
			for (s = 0; s < n && !rc; s++) {
				uint8_t *p = buf + s * sector_size;

				xts_tweak_from_u64(tw, (sec + s) * iv_mult + iv_offset);
				rc = encrypt ? xts_encrypt(&key, tw, p, p, sector_size)
					     : xts_decrypt(&key, tw, p, p, sector_size);
			}
		}
		if (rc)
			die(1, "internal error %d", rc);
		got = 0;
		while (got < bytes) {
			ssize_t w = pwrite(fd, buf + got, bytes - got, pos + (off_t)got);

			if (w <= 0)
				die(1, "write error at sector %" PRIu64 ": %s (sectors before "
				    "%" PRIu64 " were converted, this chunk may be partly written)",
				    sec, w ? strerror(errno) : "short write", sec);
			got += (size_t)w;
		}
		done += n;
		if (progress && (now() - last > 0.5 || done == count)) {
			double t = now() - t0;

			last = now();
			fprintf(stderr, "\r%s: %s %" PRIu64 "/%" PRIu64 " MiB (%3.0f%%) %.0f MB/s   ",
				prog, encrypt ? "encrypting" : "decrypting",
				done * sector_size >> 20, count * sector_size >> 20,
				100.0 * (double)done / (double)count,
				t > 0 ? done * sector_size / t / 1e6 : 0.0);
		}
	}
	if (progress)
		fputc('\n', stderr);
	if (fsync(fd) < 0 && errno != EINVAL)
		die(1, "fsync '%s': %s", image, strerror(errno));
	if (close(fd) < 0)
		die(1, "close '%s': %s", image, strerror(errno));
	crypto_wipe(buf, CHUNK);
	free(buf);
	xts_clear_key(&key);
	return 0;
}
