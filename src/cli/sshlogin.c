/* SPDX-License-Identifier: MIT */
/*
 * sshlogin.c - -S/--sshlogin and --sshloginfile: jobs run on other
 * machines by plain ssh, one ssh per job, as GNU parallel runs them.
 * A login is [N/]host (N jobs at once there; default -j, else this
 * machine's cores) or ":" for this machine; the --ssh command (default
 * "ssh") reaches it.  A job bound to a remote login becomes a local
 * shell script: copy the --transfer file there (ssh 'mkdir -p; cat >'),
 * run the command with /bin/sh there, bring the --return files back,
 * remove them there with --cleanup, and exit with the command's status.
 * Paths are relative to the login's home directory there, as parallel's.
 * Pure: see cli.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int
add_login(struct cli_logins *l, const char *spec, unsigned def_slots,
    struct cli_err *e)
{
	struct cli_login *nl;
	const char *slash = strchr(spec, '/');
	unsigned long long n = def_slots;
	char num[32];
	size_t k;

	while (*spec == ' ' || *spec == '\t') {
		spec++;
	}
	if (*spec == '\0' || *spec == '#') {
		return 0;
	}
	if (slash != NULL && (size_t)(slash - spec) < sizeof(num)) {
		memcpy(num, spec, (size_t)(slash - spec));
		num[slash - spec] = '\0';
		if (cli_parse_uint(num, 100000, &n) == 0 && n > 0) {
			spec = slash + 1;
		} else {
			n = def_slots;
		}
	}
	if (*spec == '\0' || strchr(spec, ' ') != NULL) {
		return cli_errf(e, CORUN_EINVAL, "--sshlogin: \"%s\" is not "
		    "[N/]host or :", spec);
	}
	for (k = 0; k < l->n; k++) {
		if (strcmp(l->v[k].host, spec) == 0) {
			return 0;	/* a login given twice is one (parallel) */
		}
	}
	if ((nl = realloc(l->v, (l->n + 1) * sizeof(*nl))) == NULL) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	l->v = nl;
	nl = &l->v[l->n];
	memset(nl, 0, sizeof(*nl));
	if ((nl->host = strdup(spec)) == NULL) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	nl->slots = (unsigned)n;
	nl->local = strcmp(spec, ":") == 0;
	l->n++;
	l->total += nl->slots;
	return 0;
}

/* One -S value: logins separated by commas. */
static int
add_list(struct cli_logins *l, const char *list, unsigned def,
    struct cli_err *e)
{
	char *copy = strdup(list), *p, *save = NULL;
	int rc = 0;

	if (copy == NULL) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	for (p = strtok_r(copy, ",", &save); p != NULL && rc == 0;
	    p = strtok_r(NULL, ",", &save)) {
		rc = add_login(l, p, def, e);
	}
	free(copy);
	return rc;
}

static int
add_file(struct cli_logins *l, const char *path, unsigned def,
    struct cli_err *e)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	if (f == NULL) {
		return cli_errf(e, CORUN_EINVAL, "--sshloginfile: %s: cannot "
		    "open it", path);
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n') {
			line[n - 1] = '\0';
		}
		rc = add_list(l, line, def, e);
	}
	free(line);
	fclose(f);
	return rc;
}

int
cli_logins_init(struct cli_logins *l, const struct cli_run_opts *o,
    struct cli_err *e)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned def = o->jobs ? o->jobs : cores > 0 ? (unsigned)cores : 1;
	size_t k;
	int rc = 0;

	memset(l, 0, sizeof(*l));
	for (k = 0; k < o->sshlogins.n && rc == 0; k++) {
		rc = add_list(l, o->sshlogins.v[k], def, e);
	}
	for (k = 0; k < o->sshloginfiles.n && rc == 0; k++) {
		rc = add_file(l, o->sshloginfiles.v[k], def, e);
	}
	if (rc == 0 && l->n == 0 && (o->sshlogins.n || o->sshloginfiles.n)) {
		rc = cli_errf(e, CORUN_EINVAL, "--sshlogin: no login given");
	}
	return rc;
}

void
cli_logins_free(struct cli_logins *l)
{
	size_t k;

	for (k = 0; k < l->n; k++) {
		free(l->v[k].host);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int
cli_logins_pick(struct cli_logins *l)
{
	size_t k, i;

	for (k = 0; k < l->n; k++) {
		i = (l->next + k) % l->n;
		if (l->v[i].busy < l->v[i].slots) {
			l->v[i].busy++;
			l->next = (i + 1) % l->n;
			return (int)i;
		}
	}
	return -1;
}

void
cli_logins_release(struct cli_logins *l, int i)
{
	if (i >= 0 && (size_t)i < l->n && l->v[i].busy > 0) {
		l->v[i].busy--;
	}
}

/* "$SSH 'HOST' " then the remote command quoted as one word. */
static void
ssh_to(struct cm_buf *b, const char *ssh, const char *host, const char *rcmd)
{
	cm_buf_adds(b, ssh);
	cm_buf_addc(b, ' ');
	cm_shquote(b, host);
	cm_buf_addc(b, ' ');
	cm_shquote(b, rcmd);
}

/* ssh HOST "mkdir -p DIR && cat > FILE" < FILE, for --transfer. */
static void
transfer(struct cm_buf *b, const char *ssh, const char *host,
    const char *file)
{
	struct cm_buf r = { 0 };

	cm_buf_adds(&r, "mkdir -p \"$(dirname ");
	cm_shquote(&r, file);
	cm_buf_adds(&r, ")\" && cat > ");
	cm_shquote(&r, file);
	ssh_to(b, ssh, host, r.p ? r.p : "");
	cm_buf_adds(b, " < ");
	cm_shquote(b, file);
	cm_buf_adds(b, " && ");
	cm_buf_free(&r);
}

char *
cli_login_script(const struct cli_login *lg, const char *ssh,
    const char *cmdline, const char *transfer_file,
    const struct cli_strv *returns, int cleanup)
{
	struct cm_buf b = { 0 }, r = { 0 };
	size_t k;

	if (transfer_file != NULL && *transfer_file != '\0') {
		transfer(&b, ssh, lg->host, transfer_file);
	}
	cm_buf_adds(&r, "exec /bin/sh -c ");
	cm_shquote(&r, cmdline);
	ssh_to(&b, ssh, lg->host, r.p ? r.p : "");
	cm_buf_free(&r);
	cm_buf_adds(&b, "; cr_rc=$?");
	for (k = 0; k < returns->n; k++) {
		cm_buf_adds(&b, "; mkdir -p \"$(dirname ");
		cm_shquote(&b, returns->v[k]);
		cm_buf_adds(&b, ")\" && ");
		cm_buf_adds(&r, "cat ");
		cm_shquote(&r, returns->v[k]);
		ssh_to(&b, ssh, lg->host, r.p ? r.p : "");
		cm_buf_free(&r);
		cm_buf_adds(&b, " > ");
		cm_shquote(&b, returns->v[k]);
	}
	if (cleanup && (returns->n > 0 || transfer_file != NULL)) {
		cm_buf_adds(&r, "rm -f --");
		if (transfer_file != NULL && *transfer_file != '\0') {
			cm_buf_addc(&r, ' ');
			cm_shquote(&r, transfer_file);
		}
		for (k = 0; k < returns->n; k++) {
			cm_buf_addc(&r, ' ');
			cm_shquote(&r, returns->v[k]);
		}
		cm_buf_adds(&b, "; ");
		ssh_to(&b, ssh, lg->host, r.p ? r.p : "");
		cm_buf_free(&r);
	}
	cm_buf_adds(&b, "; exit $cr_rc");
	return cm_buf_steal(&b);
}
