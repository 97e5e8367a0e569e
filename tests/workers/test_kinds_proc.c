/* SPDX-License-Identifier: MIT */
/*
 * test_kinds_proc.c - the kinds that reach outside the process: shell
 * (real children, process groups, pipes), net (a small server on a
 * thread) and plugins (modules built by make check).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_kinds.h"

/* Pack argv words, an empty word, then env words (env may be NULL). */
static size_t
pack(char *buf, size_t cap, const char *const *argv, const char *const *env)
{
	size_t off = 0, n;

	for (; *argv != NULL; argv++) {
		n = strlen(*argv) + 1;
		ck_assert_uint_lt(off + n, cap);
		memcpy(buf + off, *argv, n);
		off += n;
	}
	if (env != NULL) {
		buf[off++] = '\0';
		for (; *env != NULL; env++) {
			n = strlen(*env) + 1;
			ck_assert_uint_lt(off + n, cap);
			memcpy(buf + off, *env, n);
			off += n;
		}
	}
	return off;
}

static const struct wk_job_outcome *
shell(const char *const *argv, const char *const *env, uint32_t tmo)
{
	char buf[4096];
	size_t len = pack(buf, sizeof(buf), argv, env);

	return run1("shell", buf, len, tmo);
}

#define SH1(cmd, tmo) shell((const char *const[]){ (cmd), NULL }, NULL, (tmo))

/* ---- shell -------------------------------------------------------------- */

START_TEST(shell_exit_and_signal)
{
	const struct wk_job_outcome *o;

	o = SH1("true", 0);
	ck_assert_int_eq(o->status, 0);
	ck_assert_int_eq(o->exit_code, 0);
	ck_assert_int_eq(o->signal, 0);

	o = SH1("exit 3", 0);		/* a builtin: through sh -c */
	ck_assert_int_eq(o->status, CORUN_EFAILED);
	ck_assert_int_eq(o->exit_code, 3);
	ck_assert_str_eq(o->message, "exit 3");

	o = SH1("kill -9 $$", 0);
	ck_assert_int_eq(o->status, CORUN_EFAILED);
	ck_assert_int_eq(o->signal, 9);
	ck_assert_int_eq(o->exit_code, -1);
	ck_assert_str_eq(o->message, "killed by signal 9");

	/* posix_spawnp reports it; under valgrind the child exits 127. */
	o = SH1("/nonexistent/program", 0);
	ck_assert_int_eq(o->status, CORUN_EFAILED);
	ck_assert(strstr(o->message, "cannot run '/nonexistent/program': "
	    "No such file") != NULL || o->exit_code == 127);
}
END_TEST

START_TEST(shell_capture)
{
	const struct wk_job_outcome *o;

	o = SH1("echo out; echo err >&2", 0);
	ck_assert_int_eq(o->status, 0);
	ck_assert_str_eq(o->out, "out\n");
	ck_assert_str_eq(o->err, "err\n");
	ck_assert_uint_eq(o->out_len, 4);

	/* Blanks only: split and run directly, same result as sh. */
	o = SH1("echo  hello\tworld", 0);
	ck_assert_str_eq(o->out, "hello world\n");

	o = SH1("echo $((1 + 2)) | cat", 0);
	ck_assert_str_eq(o->out, "3\n");

	/* Megabytes on both pipes at once: neither may block the other. */
	o = SH1("head -c 3000000 /dev/zero | tr '\\0' e >&2; "
	    "head -c 2500000 /dev/zero | tr '\\0' o", 0);
	ck_assert_int_eq(o->status, 0);
	ck_assert_uint_eq(o->out_len, 2500000);
	ck_assert_uint_eq(o->err_len, 3000000);
	ck_assert_int_eq(o->out[2499999], 'o');
	ck_assert_int_eq(o->out[2500000], '\0');
	ck_assert_int_eq(o->err[0], 'e');
}
END_TEST

START_TEST(shell_env)
{
	const struct wk_job_outcome *o;

	setenv("CR_TEST_INHERITED", "inherited", 1);
	setenv("CR_TEST_OVERRIDE", "old", 1);
	o = shell((const char *const[]){ "sh", "-c",
	    "echo $CR_TEST_INHERITED $CR_TEST_OVERRIDE $CR_TEST_NEW", NULL },
	    (const char *const[]){ "CR_TEST_OVERRIDE=new",
	    "CR_TEST_NEW=a b=c", NULL }, 0);
	ck_assert_int_eq(o->status, 0);
	ck_assert_str_eq(o->out, "inherited new a b=c\n");
}
END_TEST

START_TEST(shell_literal_arguments)
{
	char pwned[64], pwned2[64], arg[96], arg2[96], want[512];
	const struct wk_job_outcome *o;
	struct stat st;

	snprintf(pwned, sizeof(pwned), "/tmp/pwned-%ld", (long)getpid());
	snprintf(pwned2, sizeof(pwned2), "/tmp/pwned2-%ld", (long)getpid());
	unlink(pwned);
	unlink(pwned2);
	snprintf(arg, sizeof(arg), "$(touch %s)", pwned);
	snprintf(arg2, sizeof(arg2), "`touch %s`", pwned2);
	o = shell((const char *const[]){ "printf", "[%s]\\n", arg, arg2,
	    "a b", "x;y", "\"q'", "l1\nl2", "*", "$HOME", NULL }, NULL, 0);
	ck_assert_int_eq(o->status, 0);
	snprintf(want, sizeof(want), "[%s]\n[%s]\n[a b]\n[x;y]\n[\"q']\n"
	    "[l1\nl2]\n[*]\n[$HOME]\n", arg, arg2);
	ck_assert_str_eq(o->out, want);
	ck_assert_int_ne(stat(pwned, &st), 0);
	ck_assert_int_ne(stat(pwned2, &st), 0);

	/* The same text as one word is shell code, and runs as such. */
	o = SH1(arg, 0);
	ck_assert_int_eq(o->status, 0);
	ck_assert_int_eq(stat(pwned, &st), 0);
	unlink(pwned);
}
END_TEST

/* Reap our adopted orphans of group pgid; 1 once the group is gone. */
static int
group_gone(pid_t pgid, double seconds)
{
	uint64_t t0 = corun_loop_now_ns();

	do {
		while (waitpid(-pgid, NULL, WNOHANG) > 0) {
			continue;
		}
		if (kill(-pgid, 0) == -1 && errno == ESRCH) {
			return 1;
		}
		usleep(10000);
	} while (ms_since(t0) < seconds * 1000);
	return 0;
}

START_TEST(shell_timeout_kills_tree)
{
	uint64_t t0 = corun_loop_now_ns();
	const struct wk_job_outcome *o;
	long pgid;

	o = SH1("echo $$; sleep 30 & sleep 30; wait", 500);
	ck_assert_int_eq(o->status, CORUN_ETIMEDOUT);
	ck_assert_str_eq(o->message, "timeout after 0.5 s");
	ck_assert_double_lt(ms_since(t0), 1400);
	ck_assert_int_eq(o->signal, SIGTERM);
	ck_assert_int_eq(sscanf(o->out, "%ld", &pgid), 1);
	ck_assert(group_gone((pid_t)pgid, 2));
}
END_TEST

/*
 * The job's output ends when every holder of its pipes is gone, not when
 * one of them closes: a child that closes stdout early still has its later
 * stderr and exit status recorded; one that leaves a background child
 * writing is done only when that child is; and a background child that
 * keeps the pipe open past the job's timeout is killed with the group.
 */
START_TEST(shell_output_outlives_close)
{
	uint64_t t0 = corun_loop_now_ns();
	const struct wk_job_outcome *o;
	long pgid;

	o = SH1("echo first; exec 1>&-; sleep 0.2; echo late >&2; exit 4", 0);
	ck_assert_int_eq(o->status, CORUN_EFAILED);
	ck_assert_int_eq(o->exit_code, 4);
	ck_assert_str_eq(o->out, "first\n");
	ck_assert_str_eq(o->err, "late\n");
	ck_assert_double_ge(ms_since(t0), 190);

	t0 = corun_loop_now_ns();
	o = SH1("echo parent; (sleep 0.3; echo child) &", 0);
	ck_assert_int_eq(o->status, 0);
	ck_assert_int_eq(o->exit_code, 0);
	ck_assert_str_eq(o->out, "parent\nchild\n");
	ck_assert_double_ge(ms_since(t0), 290);

	t0 = corun_loop_now_ns();
	o = SH1("echo $$; (trap '' TERM; sleep 30) &", 300);
	ck_assert_int_eq(o->status, CORUN_ETIMEDOUT);
	ck_assert_double_lt(ms_since(t0), 300 + WK_KILL_GRACE * 1000 + 900);
	ck_assert_int_eq(sscanf(o->out, "%ld", &pgid), 1);
	ck_assert(group_gone((pid_t)pgid, 2));
}
END_TEST

START_TEST(shell_timeout_escalates)
{
	uint64_t t0 = corun_loop_now_ns();
	const struct wk_job_outcome *o;
	long pgid;

	/* TERM is ignored by the shell and its children: KILL after grace. */
	o = SH1("trap '' TERM; echo $$; sleep 30 & sleep 30; wait", 200);
	ck_assert_int_eq(o->status, CORUN_ETIMEDOUT);
	ck_assert_int_eq(o->signal, SIGKILL);
	ck_assert_double_ge(ms_since(t0), 200 + WK_KILL_GRACE * 1000 - 50);
	ck_assert_double_lt(ms_since(t0), 200 + WK_KILL_GRACE * 1000 + 900);
	ck_assert_int_eq(sscanf(o->out, "%ld", &pgid), 1);
	ck_assert(group_gone((pid_t)pgid, 2));
}
END_TEST

START_TEST(shell_cancel)
{
	corun_future *f;
	const struct wk_job_outcome *o;
	const char *cmd = "echo $$; exec sleep 30";
	uint64_t t0;
	long pgid;

	f = start("shell", cmd, strlen(cmd), 0, 0);
	spin(0.2);
	ck_assert(!corun_future_done(f));
	t0 = corun_loop_now_ns();
	ck_assert_int_eq(corun_future_cancel(f), 0);
	o = wait_job(f);
	ck_assert_int_eq(o->status, CORUN_ECANCELED);
	ck_assert_str_eq(o->message, "cancelled");
	ck_assert_double_lt(ms_since(t0), 800);
	ck_assert_int_eq(sscanf(o->out, "%ld", &pgid), 1);
	ck_assert(group_gone((pid_t)pgid, 2));
}
END_TEST

/* ---- net -------------------------------------------------------------- */

enum { SRV_ECHO, SRV_SILENT };

struct server {
	int lfd;
	int mode;
	pthread_t tid;
	char host[64];
	int port;
};

/* One connection: echo what arrives (until EOF) prefixed, or stay mute. */
static void *
server_main(void *arg)
{
	struct server *s = arg;
	char buf[4096];
	ssize_t n;
	int fd;

	if ((fd = accept(s->lfd, NULL, NULL)) < 0) {
		return NULL;
	}
	if (s->mode == SRV_ECHO) {
		(void)!write(fd, "echo:", 5);
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			(void)!write(fd, buf, (size_t)n);
		}
	} else {
		while (read(fd, buf, sizeof(buf)) > 0) {
			continue;
		}
		/* No reply and no close: the client times out. */
		usleep(800000);
	}
	close(fd);
	return NULL;
}

/* Listen on an ephemeral port of addr; 0 if the family is unavailable. */
static int
server_start(struct server *s, int family, const char *addr, int mode)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &in->sin_addr);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &in6->sin6_addr);
	}
	if ((s->lfd = socket(family, SOCK_STREAM, 0)) < 0) {
		return 0;
	}
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&ss, family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) != 0 ||
	    listen(s->lfd, 4) != 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&ss, &sl) != 0) {
		close(s->lfd);
		return 0;
	}
	s->port = ntohs(family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	snprintf(s->host, sizeof(s->host), family == AF_INET ? "%s" : "[%s]",
	    addr);
	s->mode = mode;
	ck_assert_int_eq(pthread_create(&s->tid, NULL, server_main, s), 0);
	return 1;
}

static void
server_stop(struct server *s)
{
	pthread_join(s->tid, NULL);
	close(s->lfd);
}

static const struct wk_job_outcome *
net(const struct server *s, int port, const char *req, uint32_t tmo)
{
	char buf[256];
	int n;

	n = snprintf(buf, sizeof(buf), "%s:%d", s->host, port);
	memcpy(buf + n + 1, req, strlen(req));
	return run1("net", buf, (size_t)n + 1 + strlen(req), tmo);
}

START_TEST(net_echo_v4_v6)
{
	const struct wk_job_outcome *o;
	struct server s;

	ck_assert(server_start(&s, AF_INET, "127.0.0.1", SRV_ECHO));
	o = net(&s, s.port, "hello\nworld", 5000);
	server_stop(&s);
	ck_assert_int_eq(o->status, 0);
	ck_assert_str_eq(o->out, "echo:hello\nworld");
	ck_assert_int_eq(o->exit_code, -1);

	/* A name: each address in turn until one answers. */
	ck_assert(server_start(&s, AF_INET, "127.0.0.1", SRV_ECHO));
	snprintf(s.host, sizeof(s.host), "localhost");
	o = net(&s, s.port, "named", 5000);
	server_stop(&s);
	ck_assert_int_eq(o->status, 0);
	ck_assert_str_eq(o->out, "echo:named");

	if (!server_start(&s, AF_INET6, "::1", SRV_ECHO)) {
		return;		/* no IPv6 loopback here */
	}
	o = net(&s, s.port, "six", 5000);
	server_stop(&s);
	ck_assert_int_eq(o->status, 0);
	ck_assert_str_eq(o->out, "echo:six");
}
END_TEST

START_TEST(net_refused_and_timeout)
{
	const struct wk_job_outcome *o;
	struct server s;
	char want[128];
	uint64_t t0;
	int port;

	/* A port that was just free: nobody listens there now. */
	ck_assert(server_start(&s, AF_INET, "127.0.0.1", SRV_SILENT));
	port = s.port;
	t0 = corun_loop_now_ns();
	o = net(&s, port, "stuck", 200);
	ck_assert_int_eq(o->status, CORUN_ETIMEDOUT);
	ck_assert_double_lt(ms_since(t0), 1000);
	server_stop(&s);

	o = net(&s, port, "x", 0);
	ck_assert_int_eq(o->status, CORUN_EFAILED);
	snprintf(want, sizeof(want), "connect 127.0.0.1:%d: Connection "
	    "refused", port);
	ck_assert_str_eq(o->message, want);
}
END_TEST

/* ---- plugins ------------------------------------------------------------- */

#define PLUGIN(name) "workers/plugins/.libs/" name ".so"

START_TEST(plugin_loads)
{
	const struct wk_job_outcome *o;
	char why[512];

	ck_assert_msg(wk_kinds_load("./" PLUGIN("example_plugin"), why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_ptr_nonnull(strstr(wk_kind_names(), "upper"));
	ck_assert_ptr_nonnull(wk_kind_find("echo", 4));
	o = RUNS("upper", "Hello, plugin", 0);
	ck_assert_int_eq(o->status, 0);
	ck_assert_str_eq(o->out, "HELLO, PLUGIN");
	o = RUNS("upper", "", 0);
	ck_assert_int_eq(o->status, CORUN_EINVAL);
	ck_assert_str_eq(o->message, "upper: bad payload: it is empty");
	/* A plugin kind awaits like a built-in one, and can be timed out. */
	o = RUNS("echo", "slow", 100);
	ck_assert_int_eq(o->status, 0);
	ck_assert_str_eq(o->out, "slow");
}
END_TEST

static void
expect_load_error(const char *path, const char *mode, int code,
    const char *what)
{
	char why[512];

	if (mode != NULL) {
		setenv("CR_BAD_PLUGIN", mode, 1);
	}
	ck_assert_int_eq(wk_kinds_load(path, why, sizeof(why)), code);
	ck_assert_msg(strstr(why, what) != NULL && strstr(why,
	    path) != NULL, "'%s' lacks '%s'", why, what);
}

START_TEST(plugin_errors)
{
	expect_load_error("./workers/plugins/.libs/missing.so", NULL, CORUN_ENOENT,
	    "cannot load plugin");
	expect_load_error("./" PLUGIN("nosym_plugin"), NULL, CORUN_ENOENT,
	    "no corun_job_plugin_init");
	expect_load_error("./" PLUGIN("bad_plugin"), "abi", CORUN_ENOTSUP,
	    "ABI version 1");
	expect_load_error("./" PLUGIN("bad_plugin"), "noname", CORUN_EINVAL,
	    "kind #1 has an empty");
	expect_load_error("./" PLUGIN("bad_plugin"), "norun", CORUN_EINVAL,
	    "kind 'broken' has no run function");
	expect_load_error("./" PLUGIN("bad_plugin"), "none", CORUN_EINVAL,
	    "no job kinds");
	/* Nothing of the failed loads was registered. */
	ck_assert_ptr_null(wk_kind_find("fine", 4));
	ck_assert_ptr_null(strstr(wk_kind_names(), "fine"));
}
END_TEST

void
add_proc_tests(Suite *s)
{
	TCase *tc;

	tc = tcase_create("shell");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, shell_exit_and_signal);
	tcase_add_test(tc, shell_capture);
	tcase_add_test(tc, shell_env);
	tcase_add_test(tc, shell_literal_arguments);
	tcase_add_test(tc, shell_timeout_kills_tree);
	tcase_add_test(tc, shell_timeout_escalates);
	tcase_add_test(tc, shell_output_outlives_close);
	tcase_add_test(tc, shell_cancel);
	suite_add_tcase(s, tc);

	tc = tcase_create("net");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, net_echo_v4_v6);
	tcase_add_test(tc, net_refused_and_timeout);
	suite_add_tcase(s, tc);

	tc = tcase_create("plugin");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, plugin_loads);
	tcase_add_test(tc, plugin_errors);
	suite_add_tcase(s, tc);
}
