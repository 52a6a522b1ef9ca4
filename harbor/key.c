/* key.c -- parsing and loading the cluster key (see key.h). */
#include "harbor/key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A key file holds one line of text; anything much longer is not one. */
#define FILE_MAX 512

static int refuse(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "cluster key: %s", what);
	return -1;
}

static int all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/* Decode text[n] as base64 of any variant; *out_len gets the byte count,
 * up to cap.  0 when one variant takes the whole text. */
static int from_base64(unsigned char *out, size_t cap, size_t *out_len, const char *text, size_t n)
{
	static const int variants[] = {
		sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
		sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING,
	};
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
		const char *end;
		if (sodium_base642bin(out, cap, text, n, NULL, out_len, &end, variants[i]) == 0
		    && end == text + n)
			return 0;
	}
	return -1;
}

int harbor_key_parse(struct harbor_key *key, const char *text, char *err, size_t errlen)
{
	if (sodium_init() < 0)
		return refuse(err, errlen, "libsodium failed to initialise");
	const char *p = text;
	size_t n = strlen(p);
	while (n && strchr(" \t\r\n", p[0])) {
		p++;
		n--;
	}
	while (n && strchr(" \t\r\n", p[n - 1]))
		n--;
	if (n == 0)
		return refuse(err, errlen, "empty");

	/* Hex digits are also base64 digits, so hex is tried first, and hex of
	 * the wrong length is reported as such rather than as odd base64. */
	unsigned char buf[64]; /* room to tell "too long" from garbage */
	size_t got = 0;
	int rc = -1;
	if (all_hex(p, n)) {
		if (n != 2 * HARBOR_KEY_BYTES) {
			char why[80];
			snprintf(why, sizeof why, "%zu hex digits, need %d", n, 2 * HARBOR_KEY_BYTES);
			return refuse(err, errlen, why);
		}
		const char *end;
		if (sodium_hex2bin(key->bytes, HARBOR_KEY_BYTES, p, n, NULL, &got, &end) != 0
		    || got != HARBOR_KEY_BYTES)
			return refuse(err, errlen, "bad hex");
		rc = 0;
	} else if (from_base64(buf, sizeof buf, &got, p, n) == 0) {
		if (got != HARBOR_KEY_BYTES) {
			char why[80];
			snprintf(why, sizeof why, "base64 of %zu bytes, need %d", got, HARBOR_KEY_BYTES);
			sodium_memzero(buf, sizeof buf);
			return refuse(err, errlen, why);
		}
		memcpy(key->bytes, buf, HARBOR_KEY_BYTES);
		rc = 0;
	}
	sodium_memzero(buf, sizeof buf);
	if (rc != 0)
		return refuse(err, errlen, "neither 64 hex digits nor base64 of 32 bytes");
	if (sodium_is_zero(key->bytes, HARBOR_KEY_BYTES)) {
		/* A placeholder, never a real key. */
		harbor_key_wipe(key);
		return refuse(err, errlen, "all zeros");
	}
	return 0;
}

int harbor_key_load(struct harbor_key *key, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cluster key file %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	const char *why = NULL;
	if (fstat(fd, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_mode & 077)
		why = "group or others may read it (chmod 600)";
	else if (st.st_size >= FILE_MAX)
		why = "too long for a key";
	char text[FILE_MAX];
	ssize_t n = 0;
	if (!why) {
		n = read(fd, text, sizeof text - 1);
		if (n < 0)
			why = strerror(errno);
	}
	close(fd);
	if (why) {
		snprintf(err, errlen, "cluster key file %s: %s", path, why);
		return -1;
	}
	text[n] = '\0';
	char inner[160];
	int rc = harbor_key_parse(key, text, inner, sizeof inner);
	sodium_memzero(text, sizeof text);
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, inner);
	return rc;
}

void harbor_key_wipe(struct harbor_key *key)
{
	sodium_memzero(key, sizeof *key);
}
