/* test_config.c -- unit tests for daemon/config.c.
 *
 * Fixtures live in $ACTORD_TESTDATA (tests/unit/data).  Good files check
 * values, "file:line" locations and ordering; bad files are one table of
 * file -> exact error message.  Cases that need absolute or very long
 * paths write their files into a fresh temporary directory.
 */
#include "daemon/config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATHMAX 4096

/* meson test sets ACTORD_TESTDATA; run by hand from the source root, the
 * relative default works too. */
static const char *
datadir(void)
{
	const char *d = getenv("ACTORD_TESTDATA");
	if (d == NULL)
		d = "tests/unit/data";
	ck_assert_msg(access(d, R_OK) == 0, "%s: no test data (set "
	              "ACTORD_TESTDATA or run from the source root)", d);
	return d;
}

/* datadir/name, in a caller-owned buffer. */
static const char *
data(char *buf, const char *name)
{
	snprintf(buf, PATHMAX, "%s/%s", datadir(), name);
	return buf;
}

static struct config *
load_ok(const char *name)
{
	char path[PATHMAX], err[1024] = "";
	struct config *c = config_load(data(path, name), err, sizeof(err));
	ck_assert_msg(c != NULL, "%s: %s", name, err);
	return c;
}

/* Expect where == datadir/file:line. */
static void
check_where(const struct config *c, const char *key, const char *file,
            int line)
{
	char want[PATHMAX + 32];
	snprintf(want, sizeof(want), "%s/%s:%d", datadir(), file, line);
	const char *got = config_where(c, key);
	ck_assert_msg(got != NULL, "no where for %s", key);
	ck_assert_str_eq(got, want);
}

/* out = dir/name; the check also keeps gcc's truncation warning quiet. */
static void
join(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATHMAX, "%s/%s", dir, name);
	ck_assert(n > 0 && n < PATHMAX);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static void
make_tmpdir(char *buf)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(buf, PATHMAX, "%s/test_config.XXXXXX", tmp ? tmp : "/tmp");
	ck_assert(mkdtemp(buf) != NULL);
}

START_TEST(test_basic)
{
	struct config *c = load_ok("basic.conf");
	ck_assert_str_eq(config_get(c, "thread"), "4");
	ck_assert_str_eq(config_get(c, "harbor"), "0");
	ck_assert_str_eq(config_get(c, "start"), "main");
	ck_assert_ptr_null(config_get(c, "logger"));	/* logger = nil */
	ck_assert_str_eq(config_get(c, "ratio"), "0.25");
	ck_assert_str_eq(config_get(c, "whole"), "3");
	ck_assert_str_eq(config_get(c, "negative"), "-7");
	ck_assert_str_eq(config_get(c, "enabled"), "true");
	ck_assert_str_eq(config_get(c, "disabled"), "false");
	ck_assert_str_eq(config_get(c, "cpath"), "./cservice/?.so");
	ck_assert_str_eq(config_get(c, "name"), "second");
	ck_assert_str_eq(config_get(c, "shout"), "ABC");
	ck_assert_ptr_null(config_get(c, "include"));	/* builtin, not a key */
	ck_assert_ptr_null(config_get(c, "nothing"));
	ck_assert_ptr_null(config_where(c, "nothing"));

	check_where(c, "thread", "basic.conf", 2);
	check_where(c, "cpath", "basic.conf", 14);
	check_where(c, "name", "basic.conf", 16);	/* the last assignment */
	config_free(c);
}
END_TEST

START_TEST(test_include)
{
	struct config *c = load_ok("include.conf");
	ck_assert_str_eq(config_get(c, "luaservice"), "/opt/actord/service/?.lua");
	ck_assert_str_eq(config_get(c, "lua_path"), "/opt/actord/lualib/?.lua");
	ck_assert_str_eq(config_get(c, "cpath"), "/opt/actord/cservice/?.so");
	ck_assert_str_eq(config_get(c, "start"), "main");
	check_where(c, "root", "include.conf", 2);
	check_where(c, "luaservice", "sub/paths.conf", 2);
	/* included from sub/paths.conf as "more.conf": found in sub/ */
	check_where(c, "lua_path", "sub/more.conf", 2);
	check_where(c, "cpath", "include.conf", 5);
	config_free(c);
}
END_TEST

/* The tutorial's examples/config and config.path, as printed. */
START_TEST(test_seed)
{
	struct config *c = load_ok("seed/config.conf");
	ck_assert_str_eq(config_get(c, "thread"), "2");
	ck_assert_str_eq(config_get(c, "harbor"), "1");
	ck_assert_str_eq(config_get(c, "bootstrap"), "snlua bootstrap");
	ck_assert_str_eq(config_get(c, "cpath"), "./cservice/?.so");
	ck_assert_str_eq(config_get(c, "luaservice"),
	    "./service/?.lua;./test/?.lua;./examples/?.lua;./test/?/init.lua");
	ck_assert_str_eq(config_get(c, "lua_cpath"), "./luaclib/?.so");
	ck_assert_ptr_null(config_get(c, "logger"));
	ck_assert_ptr_null(config_get(c, "daemon"));
	check_where(c, "lualoader", "seed/config.path", 3);
	check_where(c, "standalone", "seed/config.conf", 12);
	config_free(c);
}
END_TEST

START_TEST(test_env)
{
	setenv("ACTORD_TEST_HOME", "/home/someone", 1);
	setenv("ACTORD_TEST_THREADS", "6", 1);
	struct config *c = load_ok("env.conf");
	ck_assert_str_eq(config_get(c, "home"), "/home/someone/actord");
	ck_assert_str_eq(config_get(c, "thread"), "6");
	/* not a name after '$': left alone */
	ck_assert_str_eq(config_get(c, "price"), "$5 or $ or a$");
	check_where(c, "thread", "env.conf", 3);
	config_free(c);
}
END_TEST

struct seen {
	char buf[512];
};

static void
collect(const char *key, const char *value, void *ud)
{
	struct seen *s = ud;
	size_t n = strlen(s->buf);
	snprintf(s->buf + n, sizeof(s->buf) - n, "%s=%s;", key, value);
}

START_TEST(test_order_and_default)
{
	struct config *c = load_ok("order.conf");
	struct seen s = { "" };
	config_each(c, collect, &s);
	/* first-set order; reassigning keeps the slot; `gone = nil` unsets */
	ck_assert_str_eq(s.buf, "zeta=1;alpha=20;mid=3;");
	check_where(c, "alpha", "order.conf", 4);

	config_default(c, "alpha", "99");	/* set by the file: kept */
	config_default(c, "thread", "8");
	config_default(c, "gone", "back");
	config_default(c, "thread", "16");	/* first default wins */
	ck_assert_str_eq(config_get(c, "alpha"), "20");
	ck_assert_str_eq(config_get(c, "thread"), "8");
	ck_assert_str_eq(config_where(c, "thread"), "(default)");

	s.buf[0] = '\0';
	config_each(c, collect, &s);
	ck_assert_str_eq(s.buf, "zeta=1;alpha=20;mid=3;thread=8;gone=back;");
	config_free(c);
}
END_TEST

START_TEST(test_absolute_include)
{
	char dir[PATHMAX], inc[PATHMAX], top[PATHMAX], text[PATHMAX + 64];
	char other[PATHMAX], err[1024] = "";
	make_tmpdir(dir);
	make_tmpdir(other);
	join(inc, other, "abs.conf");
	join(top, dir, "top.conf");
	write_file(inc, "thread = 3\n");
	snprintf(text, sizeof(text), "start = 'x'\ninclude \"%s\"\n", inc);
	write_file(top, text);

	struct config *c = config_load(top, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(config_get(c, "thread"), "3");
	char want[PATHMAX + 8];
	snprintf(want, sizeof(want), "%s:1", inc);
	ck_assert_str_eq(config_where(c, "thread"), want);
	config_free(c);
	unlink(inc);
	unlink(top);
	rmdir(dir);
	rmdir(other);
}
END_TEST

/* Lua shortens chunk names over 60 bytes; messages must not. */
START_TEST(test_long_path)
{
	char dir[PATHMAX], sub[PATHMAX], path[PATHMAX], err[PATHMAX + 128];
	char want[PATHMAX + 128];
	make_tmpdir(dir);
	join(sub, dir, "a-directory-name-long-enough-to-make-lua-shorten-"
	     "the-chunk-name");
	ck_assert(mkdir(sub, 0700) == 0);
	join(path, sub, "x.conf");
	ck_assert_uint_gt(strlen(path), 70);

	write_file(path, "start = 'main'\nthread = = 1\n");
	ck_assert_ptr_null(config_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2: unexpected symbol near '='", path);
	ck_assert_str_eq(err, want);

	write_file(path, "\n\ncpath = nope .. 'x'\n");
	ck_assert_ptr_null(config_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want),
	         "%s:3: attempt to concatenate a nil value (global 'nope')",
	         path);
	ck_assert_str_eq(err, want);

	unlink(path);
	rmdir(sub);
	rmdir(dir);
}
END_TEST

/* Write a chain of n files, each including the next; the last sets a key.
 * Returns the first.  n - 1 includes deep. */
static void
write_chain(const char *dir, int n, char *first)
{
	for (int i = 0; i < n; i++) {
		char path[PATHMAX], name[32];
		snprintf(name, sizeof(name), "f%d.conf", i);
		join(path, dir, name);
		if (i + 1 < n) {
			char text[64];
			snprintf(text, sizeof(text), "-- %d\ninclude \"f%d.conf\"\n",
			         i, i + 1);
			write_file(path, text);
		} else {
			write_file(path, "deep = true\n");
		}
	}
	join(first, dir, "f0.conf");
}

static void
remove_chain(const char *dir, int n)
{
	for (int i = 0; i < n; i++) {
		char path[PATHMAX], name[32];
		snprintf(name, sizeof(name), "f%d.conf", i);
		join(path, dir, name);
		unlink(path);
	}
	rmdir(dir);
}

START_TEST(test_include_depth)
{
	char dir[PATHMAX], first[PATHMAX], err[PATHMAX + 128] = "";
	char want[PATHMAX + 128];

	make_tmpdir(dir);
	write_chain(dir, 17, first);	/* 16 nested includes: allowed */
	struct config *c = config_load(first, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(config_get(c, "deep"), "true");
	config_free(c);
	remove_chain(dir, 17);

	make_tmpdir(dir);
	write_chain(dir, 18, first);	/* 17: one too many */
	ck_assert_ptr_null(config_load(first, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s/f16.conf:2: include nesting too deep",
	         dir);
	ck_assert_str_eq(err, want);
	remove_chain(dir, 18);
}
END_TEST

START_TEST(test_error_buffer)
{
	char path[PATHMAX], err[8];
	memset(err, 'x', sizeof(err));
	ck_assert_ptr_null(config_load(data(path, "bad_syntax.conf"), err,
	                               sizeof(err)));
	ck_assert_uint_eq(strlen(err), sizeof(err) - 1);	/* truncated */
	ck_assert_ptr_null(config_load(path, NULL, 0));
}
END_TEST

/* file, expected message; "@" in the message stands for datadir. */
static const struct bad {
	const char *file;
	const char *msg;
} bad[] = {
	{ "bad_syntax.conf",
	  "@/bad_syntax.conf:3: unexpected symbol near '='" },
	{ "bad_include_syntax.conf",
	  "@/sub/bad_syntax.conf:2: unfinished string near '\"unterminated'" },
	{ "bad_runtime.conf",
	  "@/bad_runtime.conf:2: attempt to concatenate a nil value "
	  "(global 'rooot')" },
	{ "bad_include_missing.conf",
	  "@/bad_include_missing.conf:2: cannot open @/missing.conf "
	  "(No such file or directory)" },
	{ "bad_include_arg.conf",
	  "@/bad_include_arg.conf:1: bad argument #1 to 'include' "
	  "(string expected, got table)" },
	{ "bad_cycle_a.conf",
	  "@/bad_cycle_a.conf:2: include nesting too deep" },
	{ "bad_env.conf",
	  "@/bad_env.conf:4: environment variable ACTORD_TEST_UNSET is not set" },
	{ "bad_thread_zero.conf",
	  "@/bad_thread_zero.conf:2: 'thread' must be an integer between 1 "
	  "and 256" },
	{ "bad_thread_big.conf",
	  "@/bad_thread_big.conf:1: 'thread' must be an integer between 1 "
	  "and 256" },
	{ "bad_thread_float.conf",
	  "@/bad_thread_float.conf:1: 'thread' must be an integer between 1 "
	  "and 256" },
	{ "bad_thread_text.conf",
	  "@/bad_thread_text.conf:1: 'thread' must be an integer between 1 "
	  "and 256" },
	{ "bad_harbor.conf",
	  "@/bad_harbor.conf:2: 'harbor' must be an integer between 0 and 255" },
	{ "bad_ring_kb_pow2.conf",
	  "@/bad_ring_kb_pow2.conf:1: 'ring_kb' must be a power of two "
	  "between 64 and 1048576" },
	{ "bad_ring_kb_small.conf",
	  "@/bad_ring_kb_small.conf:1: 'ring_kb' must be a power of two "
	  "between 64 and 1048576" },
	{ "bad_spin_us.conf",
	  "@/bad_spin_us.conf:1: 'spin_us' must be an integer >= 0" },
	{ "bad_stop_timeout.conf",
	  "@/bad_stop_timeout.conf:1: 'stop_timeout' must be an integer >= 0" },
	{ "bad_max_services.conf",
	  "@/bad_max_services.conf:1: 'max_services' must be an integer >= 1" },
	{ "bad_table.conf",
	  "@/bad_table.conf:2: key 'preload' must be a string, number or "
	  "boolean" },
	{ "bad_function.conf",
	  "@/bad_function.conf:1: key 'start' must be a string, number or "
	  "boolean" },
	{ "bad_key.conf",
	  "@/bad_key.conf:2: config keys must be strings, got number" },
	{ "does_not_exist.conf",
	  "@/does_not_exist.conf: cannot open (No such file or directory)" },
};

/* Expand "@" to datadir. */
static void
expand(char *out, size_t len, const char *msg)
{
	size_t n = 0;
	for (; *msg && n + 1 < len; msg++) {
		if (*msg == '@')
			n += snprintf(out + n, len - n, "%s", datadir());
		else
			out[n++] = *msg;
	}
	out[n < len ? n : len - 1] = '\0';
}

START_TEST(test_bad)
{
	const struct bad *b = &bad[_i];
	char path[PATHMAX], err[PATHMAX] = "", want[PATHMAX];
	setenv("ACTORD_TEST_HOME", "/home/someone", 1);
	unsetenv("ACTORD_TEST_UNSET");
	struct config *c = config_load(data(path, b->file), err, sizeof(err));
	ck_assert_msg(c == NULL, "%s loaded", b->file);
	expand(want, sizeof(want), b->msg);
	ck_assert_str_eq(err, want);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("good");
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_include);
	tcase_add_test(tc, test_seed);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_order_and_default);
	tcase_add_test(tc, test_absolute_include);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad");
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_long_path);
	tcase_add_test(tc, test_include_depth);
	tcase_add_test(tc, test_error_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
