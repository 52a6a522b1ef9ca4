/* dnsstub.c -- a small DNS responder for the DNS tests.
 *
 *   dnsstub [-f ZONEFILE] [-o DIR] PORT [RULE...]
 *
 * It answers A and AAAA queries over UDP on 127.0.0.1:PORT (0: any free
 * port) from the rules, then prints "dnsstub ready 127.0.0.1:PORT" so a
 * test can wait for it.  A RULE (or a line of ZONEFILE, '#' comments) is
 * NAME=VALUE[@TTL], TTL 300 by default, where VALUE is:
 *
 *   an IPv4 or IPv6 address   one A or AAAA record (repeat for more)
 *   >TARGET                   a CNAME to TARGET
 *   !MODE                     misbehave for NAME, whatever the type:
 *     silent     no reply at all            wrongid   the id changed
 *     wrongq     another question echoed    tc        TC set, no answer
 *     truncated  cut inside the answer      short     7 bytes only
 *     badptr     pointer past the end       loop      pointer to itself
 *     loop2      two pointers to each other badlen    A record of 5 bytes
 *     badlabel   reserved label type        longname  a name > 255 bytes
 *     nxdomain   rcode 3                    servfail  rcode 2
 *
 * A name without rules gets NXDOMAIN.  SIGUSR1 makes it silent for every
 * name, SIGUSR2 ends that ("mode silent" / "mode normal" is printed).
 * Each query is printed as "query ID TYPE NAME", so a test can count what
 * reached the server.  With -o DIR it answers nothing: it writes the reply
 * to a query for each rule's name, A and AAAA (DIR/NAME-A.bin ...), which
 * is how tests/fuzz/corpus/dns was made.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ppoll */
#endif
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_RULES 512
#define NAME_LEN 256
#define MSG_MAX 1232   /* what a resolver without EDNS reads, and more */

enum kind { K_A, K_AAAA, K_CNAME, K_MODE };
enum mode {
	M_SILENT, M_WRONGID, M_WRONGQ, M_TC, M_TRUNCATED, M_SHORT, M_BADPTR,
	M_LOOP, M_LOOP2, M_BADLEN, M_BADLABEL, M_LONGNAME, M_NXDOMAIN,
	M_SERVFAIL, M_COUNT
};
static const char *mode_names[M_COUNT] = {
	"silent", "wrongid", "wrongq", "tc", "truncated", "short", "badptr",
	"loop", "loop2", "badlen", "badlabel", "longname", "nxdomain",
	"servfail",
};

struct rule {
	char name[NAME_LEN];
	enum kind kind;
	uint8_t addr[16];
	char target[NAME_LEN];
	enum mode mode;
	uint32_t ttl;
};

static struct rule rules[MAX_RULES];
static int nrules;
static volatile sig_atomic_t all_silent;

/* ---- rules --------------------------------------------------------------- */

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int add_rule(const char *text)
{
	char buf[2 * NAME_LEN];
	if (strlen(text) >= sizeof buf || nrules == MAX_RULES)
		return -1;
	strcpy(buf, text);
	char *eq = strchr(buf, '=');
	if (!eq || eq == buf || (size_t)(eq - buf) >= NAME_LEN)
		return -1;
	*eq = '\0';
	char *value = eq + 1;
	struct rule *r = &rules[nrules];
	memset(r, 0, sizeof *r);
	r->ttl = 300;
	char *at = strrchr(value, '@');
	if (at) {
		char *end;
		*at = '\0';
		unsigned long t = strtoul(at + 1, &end, 10);
		if (*end || at[1] == '\0' || t > 0xffffffffUL)
			return -1;
		r->ttl = (uint32_t)t;
	}
	strcpy(r->name, buf);
	lower(r->name);
	size_t n = strlen(r->name);
	if (n > 1 && r->name[n - 1] == '.')
		r->name[n - 1] = '\0';
	if (value[0] == '>') {
		if (strlen(value + 1) >= NAME_LEN || value[1] == '\0')
			return -1;
		r->kind = K_CNAME;
		strcpy(r->target, value + 1);
		lower(r->target);
	} else if (value[0] == '!') {
		int m;
		for (m = 0; m < M_COUNT; m++)
			if (strcmp(value + 1, mode_names[m]) == 0)
				break;
		if (m == M_COUNT)
			return -1;
		r->kind = K_MODE;
		r->mode = (enum mode)m;
	} else if (inet_pton(AF_INET, value, r->addr) == 1) {
		r->kind = K_A;
	} else if (inet_pton(AF_INET6, value, r->addr) == 1) {
		r->kind = K_AAAA;
	} else {
		return -1;
	}
	nrules++;
	return 0;
}

static int load_zone(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	char line[1024];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		for (char *tok = strtok(line, " \t\r\n"); tok;
		     tok = strtok(NULL, " \t\r\n")) {
			if (add_rule(tok) != 0) {
				fprintf(stderr, "%s:%d: bad rule '%s'\n", path, lineno, tok);
				rc = -1;
				break;
			}
		}
	}
	fclose(f);
	return rc;
}

static const struct rule *find_mode(const char *name)
{
	for (int i = 0; i < nrules; i++)
		if (rules[i].kind == K_MODE && strcmp(rules[i].name, name) == 0)
			return &rules[i];
	return NULL;
}

static int name_known(const char *name)
{
	for (int i = 0; i < nrules; i++)
		if (strcmp(rules[i].name, name) == 0)
			return 1;
	return 0;
}

/* ---- building a reply ---------------------------------------------------- */

struct msg {
	uint8_t b[MSG_MAX];
	size_t len;
	int overflow;
};

static void put(struct msg *m, const void *p, size_t n)
{
	if (m->len + n > sizeof m->b) {
		m->overflow = 1;
		return;
	}
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void put8(struct msg *m, unsigned v)
{
	uint8_t b = (uint8_t)v;
	put(m, &b, 1);
}

static void put16(struct msg *m, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(m, b, 2);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void set16(struct msg *m, size_t at, unsigned v)
{
	m->b[at] = (uint8_t)(v >> 8);
	m->b[at + 1] = (uint8_t)v;
}

/* A dotted name, uncompressed. */
static void put_name(struct msg *m, const char *name)
{
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n > 63)
			n = 63;
		put8(m, (unsigned)n);
		put(m, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	put8(m, 0);
}

static void put_rr_head(struct msg *m, unsigned type, uint32_t ttl,
                        unsigned rdlen)
{
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, rdlen);
}

/* The answer records for (qname, qtype), following CNAMEs; returns how
 * many were written.  The first owner is a pointer to the question, the
 * owner after a CNAME a pointer to the CNAME's target. */
static int put_answers(struct msg *m, const char *qname, unsigned qtype)
{
	char cur[NAME_LEN];
	size_t cur_at = 12;
	int count = 0;
	snprintf(cur, sizeof cur, "%s", qname);
	for (int hop = 0; hop < 8; hop++) {
		const struct rule *cname = NULL;
		for (int i = 0; i < nrules; i++)
			if (rules[i].kind == K_CNAME && strcmp(rules[i].name, cur) == 0)
				cname = &rules[i];
		if (!cname)
			break;
		put16(m, 0xc000 | (unsigned)cur_at);
		size_t rdlen_at = m->len + 8;
		put_rr_head(m, 5, cname->ttl, 0);
		size_t target_at = m->len;
		put_name(m, cname->target);
		set16(m, rdlen_at, (unsigned)(m->len - target_at));
		count++;
		snprintf(cur, sizeof cur, "%s", cname->target);
		cur_at = target_at;
	}
	for (int i = 0; i < nrules; i++) {
		const struct rule *r = &rules[i];
		if (strcmp(r->name, cur) != 0)
			continue;
		if ((r->kind == K_A && qtype == 1) || (r->kind == K_AAAA && qtype == 28)) {
			unsigned n = r->kind == K_A ? 4 : 16;
			put16(m, 0xc000 | (unsigned)cur_at);
			put_rr_head(m, qtype, r->ttl, n);
			put(m, r->addr, n);
			count++;
		}
	}
	return count;
}

/* An answer record whose owner name is whatever `owner` writes. */
static void put_bad_owner(struct msg *m, const uint8_t *owner, size_t n)
{
	put(m, owner, n);
	put_rr_head(m, 1, 60, 4);
	put(m, "\x0a\x00\x00\x01", 4);
}

/* The reply to query `id` for (qname, qtype, qclass), as `mode` (or -1
 * for a normal one) has it.  Returns 0 when no reply is to be sent. */
static int build(struct msg *m, unsigned id, const char *qname,
                 unsigned qtype, unsigned qclass, int mode)
{
	memset(m, 0, sizeof *m);
	unsigned flags = 0x8180, rcode = 0;
	if (mode == M_SILENT)
		return 0;
	if (mode == M_NXDOMAIN || (mode < 0 && !name_known(qname)))
		rcode = 3;
	if (mode == M_SERVFAIL)
		rcode = 2;
	if (mode == M_TC)
		flags |= 0x200;
	put16(m, mode == M_WRONGID ? id ^ 0x5a5a : id);
	put16(m, flags | rcode);
	put16(m, 1);
	put16(m, 0); /* answer count, set below */
	put16(m, 0);
	put16(m, 0);
	put_name(m, mode == M_WRONGQ ? "mismatch.invalid" : qname);
	put16(m, qtype);
	put16(m, qclass);
	size_t answers_at = m->len;
	int an = 0;
	uint8_t bad[8];
	switch (mode) {
	case M_BADPTR:
		bad[0] = 0xc0 | (uint8_t)((m->len + 200) >> 8);
		bad[1] = (uint8_t)(m->len + 200);
		put_bad_owner(m, bad, 2);
		an = 1;
		break;
	case M_LOOP: /* a pointer to its own offset */
		bad[0] = 0xc0 | (uint8_t)(m->len >> 8);
		bad[1] = (uint8_t)m->len;
		put_bad_owner(m, bad, 2);
		an = 1;
		break;
	case M_LOOP2: { /* owner -> a pointer after the record -> owner */
		size_t owner_at = m->len, trap_at = owner_at + 2 + 10 + 4;
		bad[0] = 0xc0 | (uint8_t)(trap_at >> 8);
		bad[1] = (uint8_t)trap_at;
		put_bad_owner(m, bad, 2);
		put16(m, 0xc000 | (unsigned)owner_at);
		an = 1;
		break;
	}
	case M_BADLEN:
		put16(m, 0xc00c);
		put_rr_head(m, 1, 60, 5);
		put(m, "\x0a\x00\x00\x01\x02", 5);
		an = 1;
		break;
	case M_BADLABEL:
		put_bad_owner(m, (const uint8_t *)"\x41x\x00", 3);
		an = 1;
		break;
	case M_LONGNAME: {
		/* A record of an ignored type holds five 50-byte labels, each
		 * followed by a pointer to the one before: the second record's
		 * owner points at the last of them, a name of 5 * 51 + ... bytes. */
		size_t rd_at = m->len + 2 + 10;
		put16(m, 0xc00c);
		put_rr_head(m, 16, 60, 0);
		size_t prev = 0;
		for (int i = 0; i < 5; i++) {
			size_t here = m->len;
			char label[50];
			memset(label, 'a' + i, sizeof label);
			put8(m, sizeof label);
			put(m, label, sizeof label);
			if (i == 0)
				put8(m, 0);
			else
				put16(m, 0xc000 | (unsigned)prev);
			prev = here;
		}
		set16(m, rd_at - 2, (unsigned)(m->len - rd_at));
		put16(m, 0xc000 | (unsigned)prev);
		put_rr_head(m, 1, 60, 4);
		put(m, "\x0a\x00\x00\x01", 4);
		an = 2;
		break;
	}
	case M_TC:
	case M_NXDOMAIN:
	case M_SERVFAIL:
		break;
	default:
		an = put_answers(m, mode == M_WRONGQ ? "mismatch.invalid" : qname,
		                 qtype);
		if (mode == M_TRUNCATED && an == 0) {
			put16(m, 0xc00c);
			put_rr_head(m, 1, 60, 4);
			put(m, "\x0a\x00\x00\x01", 4);
			an = 1;
		}
		if (mode == M_WRONGQ && an == 0) {
			/* echo the wrong name, with a record for it: only the
			 * question check can refuse this */
			put16(m, 0xc00c);
			put_rr_head(m, qtype, 60, qtype == 28 ? 16 : 4);
			put(m, "\x0a\x00\x00\x63\0\0\0\0\0\0\0\0\0\0\0\1", qtype == 28 ? 16 : 4);
			an = 1;
		}
		break;
	}
	set16(m, 6, (unsigned)an);
	if (mode == M_TRUNCATED)
		m->len = answers_at + 5;
	if (mode == M_SHORT)
		m->len = 7;
	return !m->overflow;
}

/* ---- serving -------------------------------------------------------------- */

/* Parse a query: id, lower-case dotted name, type, class.  0 if it is
 * not a plain one-question query. */
static int parse_query(const uint8_t *b, size_t n, unsigned *id, char *name,
                       unsigned *qtype, unsigned *qclass)
{
	if (n < 12 || (b[2] & 0x80) || b[4] != 0 || b[5] != 1)
		return 0;
	*id = (unsigned)b[0] << 8 | b[1];
	size_t pos = 12, out = 0;
	while (pos < n && b[pos] != 0) {
		size_t l = b[pos];
		if (l > 63 || pos + 1 + l > n || out + l + 2 > NAME_LEN)
			return 0;
		if (out)
			name[out++] = '.';
		for (size_t i = 0; i < l; i++)
			name[out++] = (char)tolower(b[pos + 1 + i]);
		pos += 1 + l;
	}
	name[out] = '\0';
	if (pos + 5 > n)
		return 0;
	*qtype = (unsigned)b[pos + 1] << 8 | b[pos + 2];
	*qclass = (unsigned)b[pos + 3] << 8 | b[pos + 4];
	return 1;
}

static void on_signal(int sig)
{
	all_silent = sig == SIGUSR1;
}

static const char *type_name(unsigned t)
{
	return t == 1 ? "A" : t == 28 ? "AAAA" : "other";
}

static int dump(const char *dir)
{
	for (int i = 0; i < nrules; i++) {
		int seen = 0;
		for (int j = 0; j < i; j++)
			seen |= strcmp(rules[j].name, rules[i].name) == 0;
		if (seen)
			continue;
		const struct rule *mr = find_mode(rules[i].name);
		for (unsigned t = 1; t <= 28; t += 27) {
			struct msg m;
			if (!build(&m, 0x4242, rules[i].name, t, 1, mr ? (int)mr->mode : -1))
				continue;
			char path[4096];
			int w = snprintf(path, sizeof path, "%s/%s-%s.bin", dir,
			                 rules[i].name, type_name(t));
			if (w < 0 || (size_t)w >= sizeof path) {
				fprintf(stderr, "dnsstub: path too long in %s\n", dir);
				return 1;
			}
			FILE *f = fopen(path, "wb");
			if (!f || fwrite(m.b, 1, m.len, f) != m.len) {
				perror(path);
				if (f)
					fclose(f);
				return 1;
			}
			fclose(f);
		}
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: dnsstub [-f ZONEFILE] [-o DIR] PORT [NAME=VALUE[@TTL]...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *zone = NULL, *dumpdir = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "f:o:")) != -1) {
		if (opt == 'f')
			zone = optarg;
		else if (opt == 'o')
			dumpdir = optarg;
		else
			usage();
	}
	if (optind >= argc)
		usage();
	char *end;
	long port = strtol(argv[optind], &end, 10);
	if (*end || port < 0 || port > 65535)
		usage();
	if (zone && load_zone(zone) != 0)
		return 2;
	for (int i = optind + 1; i < argc; i++) {
		if (add_rule(argv[i]) != 0) {
			fprintf(stderr, "dnsstub: bad rule '%s'\n", argv[i]);
			return 2;
		}
	}
	if (dumpdir)
		return dump(dumpdir);

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t salen = sizeof sa;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) != 0) {
		perror("dnsstub");
		return 1;
	}
	/* The signals are blocked but inside ppoll, so a change of mode is
	 * printed as soon as it happens, never missed between two waits. */
	struct sigaction act = { .sa_handler = on_signal };
	sigset_t block, during;
	sigemptyset(&act.sa_mask);
	sigaction(SIGUSR1, &act, NULL);
	sigaction(SIGUSR2, &act, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &during);
	sigdelset(&during, SIGUSR1);
	sigdelset(&during, SIGUSR2);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("dnsstub ready 127.0.0.1:%u\n", ntohs(sa.sin_port));

	int silent_shown = 0;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ready = ppoll(&pfd, 1, NULL, &during);
		if (silent_shown != all_silent) {
			silent_shown = all_silent;
			printf("mode %s\n", silent_shown ? "silent" : "normal");
		}
		if (ready < 0 && errno != EINTR) {
			perror("ppoll");
			return 1;
		}
		if (ready <= 0)
			continue;
		uint8_t buf[MSG_MAX];
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			perror("recvfrom");
			continue;
		}
		unsigned id, qtype, qclass;
		char name[NAME_LEN];
		if (!parse_query(buf, (size_t)n, &id, name, &qtype, &qclass)) {
			printf("bad query of %zd bytes\n", n);
			continue;
		}
		printf("query %u %s %s\n", id, type_name(qtype), name);
		const struct rule *mr = find_mode(name);
		struct msg m;
		int mode = all_silent ? M_SILENT : mr ? (int)mr->mode : -1;
		if (!build(&m, id, name, qtype, qclass, mode))
			continue;
		if (sendto(fd, m.b, m.len, 0, (struct sockaddr *)&from, fromlen) < 0)
			perror("sendto");
	}
}
