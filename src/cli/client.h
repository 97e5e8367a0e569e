/* SPDX-License-Identifier: MIT */
/*
 * client.h - the corun commands that drive corund over its control
 * socket (client.c: the connection; client-cmds.c: the commands).
 */
#ifndef CORUN_CLIENT_H
#define CORUN_CLIENT_H

#include <jansson.h>

/* Exit statuses of the client commands. */
#define CLI_CLIENT_OK 0
#define CLI_CLIENT_FAILED 1	/* a job failed, or the daemon said no */
#define CLI_CLIENT_USAGE 255	/* bad usage: as every corun command */
#define CLI_CLIENT_TIMEOUT 124	/* wait --timeout expired (as timeout(1)) */

/* The control URL: $CORUN_SOCKET (set by `corun -S URL`) or the default,
   fixed by the first call (set $CORUN_SOCKET before it). */
const char *cli_client_url(void);

/*
 * Send req (a JSON object; the reference is taken) and receive the reply.
 * timeout < 0 waits forever.  Returns 0 with *reply an {"ok": true ...}
 * object; otherwise prints why (connection, or the daemon's error) and
 * returns CLI_CLIENT_FAILED.
 */
int cli_client_call(json_t *req, double timeout, json_t **reply);

/*
 * A transport other than ipc:// (nng's tcp://, tls+tcp://, ...): the
 * request text out, the reply's body into a malloc'ed *body; 0, or -1
 * with one line printed.  corun-engine installs client-nng.c's with
 * cli_client_set_dial before any command runs; without one (the corun
 * front, which hands such URLs to corun-engine) only ipc:// is served.
 */
typedef int (*cli_client_dial_fn)(const char *url, const char *text,
    double timeout, char **body, size_t *blen);
void cli_client_set_dial(cli_client_dial_fn fn);
int cli_client_nng_call(const char *url, const char *text, double timeout,
    char **body, size_t *blen);

/* Seed jansson's hashing without /dev/urandom (client-util.c). */
void cli_client_seed_json(void);

/* One subcommand of the corun program: argv[0] is its name. */
struct cli_subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
};

/* The daemon's client commands (client-cmdtab.c), NULL-terminated: the
   corun front serves these, corun-engine lists them in its usage. */
extern const struct cli_subcmd cli_client_cmds[];

/* The row of a NULL-terminated table named name, or NULL. */
const struct cli_subcmd *cli_subcmd_find(const struct cli_subcmd *t,
    const char *name);

/* Print a JSON value on stdout, indented, with a newline. */
void cli_client_print_json(json_t *v);

/* defaults shared with corund (src/daemon/paths.c) */
int cd_default_socket(char *buf, size_t size);

int cli_cmd_submit(int argc, char **argv);
int cli_cmd_status(int argc, char **argv);
int cli_cmd_wait(int argc, char **argv);
int cli_cmd_result(int argc, char **argv);
int cli_cmd_cancel(int argc, char **argv);
int cli_cmd_pause(int argc, char **argv);
int cli_cmd_resume(int argc, char **argv);
int cli_cmd_scale(int argc, char **argv);
int cli_cmd_drain(int argc, char **argv);
int cli_cmd_logs(int argc, char **argv);
/* client-follow.c: corun follow (and logs -f). */
int cli_cmd_follow(int argc, char **argv);
/* client-list.c: corun list, ls. */
int cli_cmd_list(int argc, char **argv);
/* client-group.c: corun group. */
int cli_cmd_group(int argc, char **argv);
/* client-edit.c: corun edit, restart. */
int cli_cmd_edit(int argc, char **argv);
int cli_cmd_restart(int argc, char **argv);
/* client-queue.c: corun clean, stash, enqueue. */
int cli_cmd_clean(int argc, char **argv);
int cli_cmd_stash(int argc, char **argv);
int cli_cmd_enqueue(int argc, char **argv);

#endif /* CORUN_CLIENT_H */
