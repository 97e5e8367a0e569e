/* SPDX-License-Identifier: MIT */
/*
 * remote-cmd.c - `corun run --listen URL`: the token, and the commands
 * that start remote workers (--worker-cmd TEMPLATE).
 *
 * A template is run by /bin/sh -c, once per --worker-host (or once when
 * there is none), after these words are replaced, each shell-quoted:
 *
 *   {url}    the --listen URL (with the real port where it gave 0)
 *   {host}   this command's --worker-host
 *   {n}      1, 2, ... for the commands of one template
 *   {token}  the token (visible in ps on both ends: prefer {token-file}
 *            or $CORUN_TOKEN, which the command's environment carries)
 *   {token-file}  the --token-file path
 *   {{ }}    literal braces
 *
 * e.g. --worker-cmd 'ssh {host} corun-worker --connect {url}
 * --token-file ~/.corun/token' --worker-host a --worker-host b.
 *
 * The commands are watched every half second: their failures are
 * reported, and with --remote-only a run that has jobs left, no command
 * alive and no remote worker attached stops instead of waiting forever.
 * At the end they get 5 s to exit after the workers were told to stop,
 * then SIGTERM, then SIGKILL.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "remote-cmd.h"

extern char **environ;

struct cli_rcmd {
	pid_t pid;
	char *line;		/* the command as run, for messages */
};

struct cli_rcmds {
	struct cli_rcmd *v;
	size_t n, alive;
	char *token;		/* --token or the first line of --token-file */
	corun_handle *tick;
	int gave_up;
	const char *url_file;	/* --url-file once written: removed at the end */
	const struct cli_run_opts *o;
	corun_loop *loop;
	const struct cli_rcmds_ops *ops;	/* the run's callbacks */
	void *arg;
};

/* The token from --token or --token-file; NULL (e set) on error. */
static int
load_token(struct cli_rcmds *rc, const struct cli_run_opts *o,
    struct cli_err *e)
{
	char line[1100];
	FILE *f;
	size_t n;

	if (o->token != NULL) {
		rc->token = strdup(o->token);
		return rc->token == NULL ? cli_errf(e, CORUN_ENOMEM,
		    "out of memory") : 0;
	}
	if (o->token_file == NULL) {
		return 0;
	}
	if ((f = fopen(o->token_file, "r")) == NULL) {
		return cli_errf(e, CORUN_EIO, "--token-file %s: %s",
		    o->token_file, strerror(errno));
	}
	if (fgets(line, sizeof(line), f) == NULL) {
		line[0] = '\0';
	}
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n == 0 || n > 1024) {
		return cli_errf(e, CORUN_EINVAL, "--token-file %s: the first "
		    "line must hold a token of 1 to 1024 bytes",
		    o->token_file);
	}
	rc->token = strdup(line);
	return rc->token == NULL ? cli_errf(e, CORUN_ENOMEM, "out of memory") :
	    0;
}

static int
expand(const char *t, const struct cli_run_opts *o, const char *url,
    const char *token, const char *host, size_t n, struct cm_buf *b,
    struct cli_err *e)
{
	char num[24];

	snprintf(num, sizeof(num), "%zu", n);
	while (*t != '\0') {
		const char *end, *val = NULL;
		size_t len;

		if (t[0] == '{' && t[1] == '{') {
			cm_buf_addc(b, '{');
			t += 2;
			continue;
		}
		if (t[0] == '}' && t[1] == '}') {
			cm_buf_addc(b, '}');
			t += 2;
			continue;
		}
		if (*t != '{' || (end = strchr(t, '}')) == NULL) {
			cm_buf_addc(b, *t++);
			continue;
		}
		len = (size_t)(end - t + 1);
		if (len == 5 && strncmp(t, "{url}", 5) == 0) {
			val = url;
		} else if (len == 6 && strncmp(t, "{host}", 6) == 0) {
			val = host;
		} else if (len == 3 && strncmp(t, "{n}", 3) == 0) {
			val = num;
		} else if (len == 7 && strncmp(t, "{token}", 7) == 0) {
			val = token;
		} else if (len == 12 && strncmp(t, "{token-file}", 12) == 0) {
			val = o->token_file;
		} else {
			return cli_errf(e, CORUN_EINVAL, "--worker-cmd: unknown "
			    "placeholder %.*s (use {url} {host} {n} {token} "
			    "{token-file}, or {{ }} for braces)", (int)len, t);
		}
		if (val == NULL) {
			return cli_errf(e, CORUN_EINVAL, "--worker-cmd: %.*s has "
			    "no value (%s)", (int)len, t, t[1] == 'h' ?
			    "give --worker-host" : t[1] == 't' && len == 7 ?
			    "give --token or --token-file" :
			    "give --token-file");
		}
		cm_shquote(b, val);
		t = end + 1;
	}
	return cm_buf_addc(b, '\0') ? cli_errf(e, CORUN_ENOMEM,
	    "out of memory") : 0;
}

static void
reap(struct cli_rcmds *rc, int block)
{
	int status;

	for (size_t i = 0; i < rc->n; i++) {
		struct cli_rcmd *c = &rc->v[i];

		if (c->pid <= 0 || waitpid(c->pid, &status,
		    block ? 0 : WNOHANG) != c->pid) {
			continue;
		}
		c->pid = 0;
		rc->alive--;
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
			cli_warn("--worker-cmd exited %d: %s",
			    WEXITSTATUS(status), c->line);
		} else if (WIFSIGNALED(status) &&
		    WTERMSIG(status) != SIGTERM) {
			cli_warn("--worker-cmd killed by signal %d: %s",
			    WTERMSIG(status), c->line);
		}
	}
}

static void
tick(void *arg)
{
	struct cli_rcmds *rc = arg;

	corun_handle_release(rc->tick);
	rc->tick = NULL;
	reap(rc, 0);
	if (rc->o->remote_only && rc->n > 0 && rc->alive == 0 &&
	    !rc->gave_up && rc->ops->unattended(rc->arg)) {
		rc->gave_up = 1;
		cli_warn("every --worker-cmd command has exited and no remote "
		    "worker is attached: stopping");
		rc->ops->give_up(rc->arg);
	}
	if (rc->alive > 0 || !rc->gave_up) {
		corun_call_later(rc->loop, 0.5, tick, rc, &rc->tick);
	}
}

static int
spawn(struct cli_rcmds *rc, char *line, const char *url)
{
	char *argv[] = { "/bin/sh", "-c", line, NULL };
	struct cli_rcmd *c = &rc->v[rc->n];
	int err;

	(void)url;
	c->line = line;
	err = posix_spawn(&c->pid, "/bin/sh", NULL, NULL, argv, environ);
	if (err != 0) {
		cli_warn("--worker-cmd: cannot run /bin/sh: %s", strerror(err));
		c->pid = 0;
	} else {
		rc->alive++;
	}
	rc->n++;
	return 0;
}

int
cli_rcmds_start(const struct cli_run_opts *o, struct cli_rcmds **rcp,
    struct cli_err *e)
{
	struct cli_rcmds *rc;

	if ((rc = calloc(1, sizeof(*rc))) == NULL) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	*rcp = rc;
	if (load_token(rc, o, e) != 0) {
		return -1;
	}
	if (o->worker_cmds.n == 0) {
		return 0;
	}
	/* Check every template before the pool starts. */
	for (size_t t = 0; t < o->worker_cmds.n; t++) {
		struct cm_buf b = { 0 };
		int bad = expand(o->worker_cmds.v[t], o, o->listen, rc->token,
		    o->worker_hosts.n ? o->worker_hosts.v[0] : NULL, 1, &b, e);

		cm_buf_free(&b);
		if (bad) {
			return -1;
		}
	}
	return 0;
}

/*
 * --url-file: the URL on the first line, then "token-file PATH" or
 * "token TOKEN" (the file is the user's alone, mode 0600), written
 * whole under a temporary name and renamed into place, so that a worker
 * reading it (corun-worker --url-file) never sees half of it.
 */
static int
write_url_file(struct cli_rcmds *rc, const struct cli_run_opts *o,
    const char *url, struct cli_err *e)
{
	struct cm_buf tmp = { 0 };
	FILE *f;
	int fd, bad;

	if (o->url_file == NULL) {
		return 0;
	}
	cm_buf_adds(&tmp, o->url_file);
	if (cm_buf_adds(&tmp, ".tmp") != 0) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	(void)unlink(tmp.p);
	if ((fd = open(tmp.p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		bad = cli_errf(e, CORUN_EIO, "--url-file %s: %s", o->url_file,
		    strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		cm_buf_free(&tmp);
		return bad;
	}
	fprintf(f, "%s\n", url);
	if (o->token_file != NULL) {
		fprintf(f, "token-file %s\n", o->token_file);
	} else if (rc->token != NULL) {
		fprintf(f, "token %s\n", rc->token);
	}
	bad = fclose(f) != 0 || rename(tmp.p, o->url_file) != 0;
	if (!bad) {
		rc->url_file = o->url_file;
	} else {
		cli_errf(e, CORUN_EIO, "--url-file %s: %s", o->url_file,
		    strerror(errno));
		(void)unlink(tmp.p);
	}
	cm_buf_free(&tmp);
	return bad ? -1 : 0;
}

int
cli_rcmds_spawn(struct cli_rcmds *rc, const struct cli_run_opts *o,
    const char *url, corun_loop *loop, const struct cli_rcmds_ops *ops,
    void *arg, struct cli_err *e)
{
	size_t hosts = o->worker_hosts.n ? o->worker_hosts.n : 1;

	if (rc == NULL) {
		return 0;
	}
	url = url != NULL ? url : o->listen;
	if (write_url_file(rc, o, url, e) != 0) {
		return -1;
	}
	if (o->worker_cmds.n == 0) {
		return 0;
	}
	rc->o = o;
	rc->loop = loop;
	rc->ops = ops;
	rc->arg = arg;
	rc->v = calloc(o->worker_cmds.n * hosts, sizeof(*rc->v));
	if (rc->v == NULL) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	if (rc->token != NULL) {
		setenv("CORUN_TOKEN", rc->token, 1);
	}
	setenv("CORUN_URL", url, 1);
	for (size_t t = 0; t < o->worker_cmds.n; t++) {
		for (size_t h = 0; h < hosts; h++) {
			struct cm_buf b = { 0 };

			if (expand(o->worker_cmds.v[t], o, url, rc->token,
			    o->worker_hosts.n ? o->worker_hosts.v[h] : NULL,
			    h + 1, &b, e) != 0) {
				cm_buf_free(&b);
				return -1;
			}
			spawn(rc, cm_buf_steal(&b), url);
		}
	}
	unsetenv("CORUN_TOKEN");
	unsetenv("CORUN_URL");
	corun_call_later(loop, 0.5, tick, rc, &rc->tick);
	return 0;
}

const char *
cli_rcmds_token(const struct cli_rcmds *rc)
{
	return rc != NULL ? rc->token : NULL;
}

void
cli_rcmds_finish(struct cli_rcmds *rc)
{
	if (rc == NULL) {
		return;
	}
	if (rc->tick != NULL) {
		corun_handle_cancel(rc->tick);
		corun_handle_release(rc->tick);
	}
	for (int round = 0; round < 3 && rc->alive > 0; round++) {
		for (int k = 0; k < 50 && rc->alive > 0; k++) {
			reap(rc, 0);
			if (rc->alive > 0) {
				usleep(100000);
			}
		}
		for (size_t i = 0; i < rc->n && round < 2; i++) {
			if (rc->v[i].pid > 0) {
				kill(rc->v[i].pid, round == 0 ? SIGTERM :
				    SIGKILL);
			}
		}
	}
	if (rc->url_file != NULL) {
		/* The run is over: a worker reading it now knows. */
		(void)unlink(rc->url_file);
	}
	for (size_t i = 0; i < rc->n; i++) {
		free(rc->v[i].line);
	}
	free(rc->v);
	free(rc->token);
	free(rc);
}
