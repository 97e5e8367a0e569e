/* SPDX-License-Identifier: MIT */
/*
 * top.c - corun top (top.h): options, the terminal (raw input, the
 * alternate screen, restored on every way out) and the loop: fetch
 * /api/state, draw, wait for a key or the next interval; q quits.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "common/hostport.h"
#include "help.h"
#include "top.h"

#define TOP_USAGE 255	/* bad usage: as every corun command */

static const char usage[] =
    "usage: corun top [HOST:PORT] [--interval S] [--once]\n"
    "  HOST:PORT   where corund (or corun run) serves its page, as\n"
    "              given to their http option;\n"
    "              default $CORUN_HTTP, else 127.0.0.1:9090\n"
    "  in the view: q quits\n";

static volatile sig_atomic_t stop_sig;
static struct termios saved;
static int raw_on;

static void
on_signal(int sig)
{
	stop_sig = sig;
}

static void
term_restore(void)
{
	if (raw_on) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		raw_on = 0;
		fputs("\033[?25h\033[?1049l", stdout);
		fflush(stdout);
	}
}

/* Keys without Enter and without echo; the alternate screen. */
static void
term_raw(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) != 0) {
		return;
	}
	t = saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0) {
		raw_on = 1;
		fputs("\033[?1049h\033[?25l", stdout);
	}
}

struct top_opts {
	char addr[300];
	char host[256];
	int port;
	double interval;
	int once;
};

static int
parse(int argc, char **argv, struct top_opts *o)
{
	const char *a = getenv("CORUN_HTTP");
	char why[300];
	char *e;

	snprintf(o->addr, sizeof(o->addr), "%s", a != NULL && *a != '\0' ? a :
	    "127.0.0.1:9090");
	o->interval = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0) {
			o->once = 1;
		} else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
			o->interval = strtod(argv[++i], &e);
			if (*e != '\0' || !(o->interval >= 0.1 &&
			    o->interval <= 3600)) {
				fprintf(stderr, "corun top: --interval %s: "
				    "expected seconds in 0.1..3600\n", argv[i]);
				return TOP_USAGE;
			}
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			cli_help_options(stdout, "top");
			return 0;
		} else if (argv[i][0] != '-') {
			snprintf(o->addr, sizeof(o->addr), "%s", argv[i]);
		} else {
			fprintf(stderr, "corun top: unknown option %s\n%s",
			    argv[i], usage);
			return TOP_USAGE;
		}
	}
	a = strncmp(o->addr, "http://", 7) == 0 ? o->addr + 7 : o->addr;
	memmove(o->addr, a, strlen(a) + 1);
	o->addr[strcspn(o->addr, "/")] = '\0';
	if (cm_http_split(o->addr, o->host, sizeof(o->host), &o->port, why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "corun top: %s\n", why);
		return TOP_USAGE;
	}
	return -1;
}

/* One screen: fetch, parse, draw into b.  0 when the state was read. */
static int
frame(const struct top_opts *o, struct cm_buf *b, int rows, int cols)
{
	char why[400], *body = NULL;
	json_t *j = NULL;
	json_error_t jerr;

	if (cli_http_get(o->host, o->port, "/api/state", 5, &body, why,
	    sizeof(why)) == 0 && (j = json_loads(body, 0, &jerr)) == NULL) {
		snprintf(why, sizeof(why), "/api/state: not JSON: %s",
		    jerr.text);
	}
	free(body);
	cli_top_draw(b, j, why, o->addr, rows, cols);
	json_decref(j);
	return j != NULL ? 0 : -1;
}

static int
once(const struct top_opts *o)
{
	struct cm_buf b = { 0 };
	int rc = frame(o, &b, 10000, 0);

	for (char *p = b.p; p != NULL && *p != '\0'; p++) {
		if (strncmp(p, "\033[K\r", 4) == 0) {
			p += 3;
		} else {
			putchar(*p);
		}
	}
	cm_buf_free(&b);
	return rc == 0 ? 0 : 1;
}

/* Wait up to interval for q: 1 when it was pressed.  Once stdin has
   ended (not a terminal), only the interval and signals count. */
static int
wait_key(double interval)
{
	static int stdin_gone;
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char c;
	ssize_t n;

	if (poll(&p, stdin_gone ? 0 : 1, (int)(interval * 1000)) <= 0) {
		return 0;
	}
	while ((n = read(STDIN_FILENO, &c, 1)) == 1) {
		if (c == 'q' || c == 'Q') {
			return 1;
		}
	}
	if (!raw_on && (n == 0 || (n < 0 && errno != EAGAIN &&
	    errno != EINTR))) {
		stdin_gone = 1;
		poll(NULL, 0, (int)(interval * 1000));
	}
	return 0;
}

static void
loop(const struct top_opts *o)
{
	struct cm_buf b = { 0 };
	struct winsize ws;

	while (!stop_sig) {
		int rows = 24, cols = 80;

		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
			rows = ws.ws_row;
			cols = ws.ws_col;
		}
		cm_buf_adds(&b, "\033[H");
		frame(o, &b, rows, cols);
		cm_buf_adds(&b, "\033[J");
		if (b.p != NULL) {
			fwrite(b.p, 1, b.len, stdout);
			fflush(stdout);
		}
		cm_buf_free(&b);
		if (wait_key(o->interval)) {
			break;
		}
	}
}

int
cli_cmd_top(int argc, char **argv)
{
	struct top_opts o;
	struct sigaction sa;
	int rc;

	memset(&o, 0, sizeof(o));
	if ((rc = parse(argc, argv, &o)) >= 0) {
		return rc;
	}
	if (o.once) {
		return once(&o);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	term_raw();
	loop(&o);
	term_restore();
	return stop_sig != 0 ? 128 + stop_sig : 0;
}
