/*
 * client.h - the corun commands that drive corund over its control
 * socket (client.c: the connection; client-cmds.c: the commands).
 */
#ifndef CORUN_CLIENT_H
#define CORUN_CLIENT_H

#include <jansson.h>

/* Exit statuses of the client commands. */
#define CR_CLIENT_OK 0
#define CR_CLIENT_FAILED 1	/* a job failed, or the daemon said no */
#define CR_CLIENT_USAGE 2
#define CR_CLIENT_TIMEOUT 124	/* wait --timeout expired (as timeout(1)) */

/* The control URL: $CORUN_SOCKET (set by `corun -S URL`) or the default. */
const char *cr_client_url(void);

/*
 * Send req (a JSON object; the reference is taken) and receive the reply.
 * timeout < 0 waits forever.  Returns 0 with *reply an {"ok": true ...}
 * object; otherwise prints why (connection, or the daemon's error) and
 * returns CR_CLIENT_FAILED.
 */
int cr_client_call(json_t *req, double timeout, json_t **reply);

/* Print a JSON value on stdout, indented, with a newline. */
void cr_client_print_json(json_t *v);

/* defaults shared with corund (src/daemon/paths.c) */
int cd_default_socket(char *buf, size_t size);

int cr_cmd_submit(int argc, char **argv);
int cr_cmd_status(int argc, char **argv);
int cr_cmd_wait(int argc, char **argv);
int cr_cmd_result(int argc, char **argv);
int cr_cmd_cancel(int argc, char **argv);
int cr_cmd_pause(int argc, char **argv);
int cr_cmd_resume(int argc, char **argv);
int cr_cmd_scale(int argc, char **argv);
int cr_cmd_drain(int argc, char **argv);
int cr_cmd_logs(int argc, char **argv);

#endif /* CORUN_CLIENT_H */
