/* SPDX-License-Identifier: MIT */
/*
 * pipe-job.c - one job of `corun run --pipe/--pipepart`: its command
 * line, spawned with posix_spawn (/bin/sh -c, as parallel runs it
 * through a shell) with its stdin, stdout and stderr on pipes (or a
 * --cat file, or a --fifo); its block written as the pipe takes it
 * (--pipepart's file range by splice(2), never through corun's memory);
 * its output gathered and printed whole when it ends (-u: not gathered),
 * in input order with -k.  See pipe-internal.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pipe-internal.h"

extern char **environ;

static double
now_epoch(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One word of the command into b, {#} {%} and {} replaced. */
static void
add_word(struct cm_buf *b, const char *c, uint64_t seq, unsigned slot,
    const char *path, int quoted)
{
	char num[32];

	for (; *c != '\0'; c++) {
		if (strncmp(c, "{#}", 3) == 0 || strncmp(c, "{%}", 3) == 0) {
			snprintf(num, sizeof(num), "%llu", c[1] == '#' ?
			    (unsigned long long)seq : slot);
			cm_buf_adds(b, num);
			c += 2;
		} else if (strncmp(c, "{}", 2) == 0) {
			if (path != NULL && quoted) {
				cm_buf_adds(b, path);
			} else if (path != NULL) {
				cm_shquote(b, path);
			}
			c += 1;
		} else {
			cm_buf_addc(b, *c);
		}
	}
}

/*
 * The words joined by spaces, {#} {%} and {} replaced; -q: each word
 * quoted, so that it stays one argument (as parallel).
 */
static char *
make_cmdline(const struct cli_run_opts *o, uint64_t seq, unsigned slot,
    const char *path)
{
	struct cm_buf b = { 0 }, w1 = { 0 };
	size_t w;

	for (w = 0; w < o->ncmd; w++) {
		if (w > 0) {
			cm_buf_addc(&b, ' ');
		}
		if (!o->g.quote) {
			add_word(&b, o->cmd[w], seq, slot, path, 0);
			continue;
		}
		w1.len = 0;
		add_word(&w1, o->cmd[w], seq, slot, path, 1);
		cm_buf_addc(&w1, '\0');
		if (w1.p != NULL) {
			cm_shquote(&b, w1.p);
		}
	}
	if (w1.oom) {
		b.oom = 1;
	}
	cm_buf_free(&w1);
	return b.oom ? (cm_buf_free(&b), NULL) : cm_buf_steal(&b);
}

/* A pipe whose corun end (ours) is nonblocking; both ends close-on-exec. */
static int
mkpipe(int fds[2], int ours)
{
	if (pipe2(fds, O_CLOEXEC) != 0) {
		return -1;
	}
	fcntl(fds[ours], F_SETFL, O_NONBLOCK);
	return 0;
}

/* --cat: the block into a temporary file (its name in j->path). */
static int
write_cat_file(struct cli_prun *r, struct cli_pjob *j)
{
	const char *td = getenv("TMPDIR");
	struct cm_buf b = { 0 };
	int fd;
	size_t off = 0;

	cm_buf_adds(&b, td && *td ? td : "/tmp");
	cm_buf_adds(&b, r->o->pipe_fifo ? "/corun-fifo.XXXXXX" :
	    "/corun-cat.XXXXXX");
	if ((j->path = cm_buf_steal(&b)) == NULL ||
	    (fd = mkstemp(j->path)) < 0) {
		return -1;
	}
	if (r->o->pipe_fifo) {
		close(fd);
		unlink(j->path);
		j->fifo_wait = 1;
		return mkfifo(j->path, 0600);
	}
	while (off < j->hlen + j->blk.len + (size_t)j->blk.flen) {
		ssize_t n;

		if (off < j->hlen) {
			n = write(fd, j->hdr + off, j->hlen - off);
		} else if (off < j->hlen + j->blk.len) {
			n = write(fd, j->blk.p + off - j->hlen,
			    j->hlen + j->blk.len - off);
		} else {
			off_t fo = j->blk.foff + (off_t)(off - j->hlen -
			    j->blk.len);

			n = pread(r->ffd, b.p = malloc(65536), 65536, fo);
			if (n > 0) {
				size_t want = j->hlen + j->blk.len +
				    (size_t)j->blk.flen - off;

				n = write(fd, b.p, (size_t)n < want ?
				    (size_t)n : want);
			}
			free(b.p);
			b.p = NULL;
		}
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return close(fd);
}

/*
 * The command's words when it needs no shell (plain words split at
 * blanks, none with shell syntax): spawned directly, one exec less per
 * block.  NULL: run it with /bin/sh -c.
 */
static char **
plain_words(const char *line, char **copy)
{
	char **v, *w, *save = NULL;
	size_t n = 0, cap = 8;

	if ((*copy = strdup(line)) == NULL ||
	    (v = calloc(cap, sizeof(*v))) == NULL) {
		free(*copy);
		*copy = NULL;
		return NULL;
	}
	for (w = strtok_r(*copy, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		if (cm_has_shell_syntax(w)) {
			free(v);
			return NULL;
		}
		if (n + 2 > cap) {
			char **nv = realloc(v, cap * 2 * sizeof(*v));

			if (nv == NULL) {
				free(v);
				return NULL;
			}
			v = nv;
			cap *= 2;
		}
		v[n++] = w;
		v[n] = NULL;
	}
	if (n == 0) {
		free(v);
		return NULL;
	}
	return v;
}

static int
spawn_job(struct cli_prun *r, struct cli_pjob *j, int inr, int outw,
    int errw)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def;
	char *argv[] = { "/bin/sh", "-c", j->cmdline, NULL };
	char *copy = NULL, **words = plain_words(j->cmdline, &copy);
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	if (inr >= 0) {
		posix_spawn_file_actions_adddup2(&fa, inr, 0);
	} else {
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		    O_RDONLY, 0);
	}
	if (outw >= 0) {
		posix_spawn_file_actions_adddup2(&fa, outw, 1);
		posix_spawn_file_actions_adddup2(&fa, errw, 2);
	}
	rc = words != NULL ? posix_spawnp(&j->pid, words[0], &fa, &at, words,
	    environ) : ENOENT;
	if (rc != 0) {
		/* not found as a program (or a shell word): the shell says */
		rc = posix_spawn(&j->pid, "/bin/sh", &fa, &at, argv, environ);
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(words);
	free(copy);
	if (rc != 0) {
		cli_warn("--pipe: cannot run /bin/sh: %s", strerror(rc));
		return -1;
	}
	j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
	return 0;
}

int
cli_pjob_start(struct cli_prun *r, struct cli_pjob *j,
    struct cli_pblock *blk, uint64_t seq)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int catmode = r->o->pipe_cat || r->o->pipe_fifo, rc;

	memset(j, 0, sizeof(*j));
	j->used = 1;
	j->seq = seq;
	j->slot = (unsigned)(j - r->job) + 1;
	j->in = j->out = j->err = j->pidfd = -1;
	j->hdr = r->hdr;
	j->hlen = r->hlen;
	j->blk = *blk;
	memset(blk, 0, sizeof(*blk));
	if (catmode && write_cat_file(r, j) != 0) {
		cli_warn("--%s: %s", r->o->pipe_fifo ? "fifo" : "cat",
		    strerror(errno));
		return -1;
	}
	if ((j->cmdline = make_cmdline(r->o, seq, j->slot, j->path)) == NULL ||
	    (!catmode && mkpipe(pin, 1) != 0) ||
	    (!r->o->ungroup && (mkpipe(pout, 0) != 0 ||
	    mkpipe(perr, 0) != 0))) {
		cli_warn("--pipe: %s", strerror(errno));
		return -1;
	}
	if (pin[1] >= 0) {
		/* One write per block of up to 1 MiB (ignored if refused). */
		(void)fcntl(pin[1], F_SETPIPE_SZ, 1 << 20);
	}
	j->start = now_epoch();
	rc = spawn_job(r, j, pin[0], pout[1], perr[1]);
	if (pin[0] >= 0) {
		close(pin[0]);
	}
	if (pout[1] >= 0) {
		close(pout[1]);
		close(perr[1]);
	}
	j->in = catmode ? -1 : pin[1];
	j->out = pout[0];
	j->err = perr[0];
	if (r->o->pipe_cat) {
		free(j->blk.p);
		memset(&j->blk, 0, sizeof(j->blk));
		j->hlen = 0;
	}
	return rc;
}

void
cli_pjob_feed(struct cli_pjob *j, struct cli_pblock *blk)
{
	free(j->blk.p);
	j->blk = *blk;
	memset(blk, 0, sizeof(*blk));
	j->boff = 0;
	j->hlen = 0;
	j->hungry = 0;
}

void
cli_pjob_fifo_open(struct cli_pjob *j)
{
	int fd = open(j->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0) {
		j->in = fd;
		j->fifo_wait = 0;
	}
}

/* Write once from where we are; < 0 on an error, 0 when it would block. */
static ssize_t
write_some(struct cli_prun *r, struct cli_pjob *j)
{
	size_t total = j->hlen + j->blk.len;
	loff_t fo;

	if (j->boff < j->hlen) {
		return write(j->in, j->hdr + j->boff, j->hlen - j->boff);
	}
	if (j->boff < total) {
		return write(j->in, j->blk.p + (j->boff - j->hlen),
		    total - j->boff);
	}
	fo = j->blk.foff + (loff_t)(j->boff - total);
	return splice(r->ffd, &fo, j->in, NULL, (size_t)(j->blk.flen -
	    (fo - j->blk.foff)), SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
}

void
cli_pjob_write(struct cli_prun *r, struct cli_pjob *j)
{
	size_t total;

	while (j->in >= 0 && !j->hungry) {
		ssize_t n;

		total = j->hlen + j->blk.len + (size_t)j->blk.flen;
		if (j->boff >= total) {
			free(j->blk.p);
			memset(&j->blk, 0, sizeof(j->blk));
			if (r->o->round_robin) {
				j->hungry = 1;
				return;
			}
			close(j->in);
			j->in = -1;
			return;
		}
		n = write_some(r, j);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			return;
		}
		if (n <= 0) {
			/* EPIPE: the job does not read all of its block */
			close(j->in);
			j->in = -1;
			return;
		}
		j->boff += (size_t)n;
	}
}

void
cli_pjob_read(struct cli_pjob *j, int which)
{
	int *fd = which == 1 ? &j->out : &j->err;
	struct cm_buf *b = which == 1 ? &j->obuf : &j->ebuf;
	char tmp[65536];

	for (;;) {
		ssize_t n = read(*fd, tmp, sizeof(tmp));

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			return;
		}
		if (n <= 0) {
			close(*fd);
			*fd = -1;
			return;
		}
		cm_buf_add(b, tmp, (size_t)n);
	}
}

void
cli_pjob_reap(struct cli_pjob *j, int block)
{
	int st;

	if (j->exited || waitpid(j->pid, &st, block ? 0 : WNOHANG) <= 0) {
		return;
	}
	j->exited = 1;
	j->wstatus = st;
	j->runtime = now_epoch() - j->start;
	if (j->pidfd >= 0) {
		close(j->pidfd);
		j->pidfd = -1;
	}
}

int
cli_pjob_finished(const struct cli_pjob *j)
{
	return j->exited && j->out < 0 && j->err < 0;
}

void
cli_pjob_free(struct cli_pjob *j)
{
	if (j->in >= 0) {
		close(j->in);
	}
	if (j->path != NULL) {
		unlink(j->path);
		free(j->path);
	}
	free(j->blk.p);
	cm_buf_free(&j->obuf);
	cm_buf_free(&j->ebuf);
	free(j->cmdline);
	memset(j, 0, sizeof(*j));
}
