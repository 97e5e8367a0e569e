/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conf.c - corund.conf: cd_conf_load() on a file holding the input.
 *
 * Invariants: an accepted file leaves every setting in its documented
 * range; a refused one gives a reason that starts with the file name.
 * cd_conf_load() reads a path, so each input is written to one
 * temporary file first.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "fuzz.h"

static char conf_path[64];

static void
remove_conf(void)
{
	unlink(conf_path);
}

static const char *
write_conf(const uint8_t *data, size_t size)
{
	FILE *f;
	int fd;

	if (conf_path[0] == '\0') {
		snprintf(conf_path, sizeof(conf_path), "%s",
		    "/tmp/corun-fuzz-conf.XXXXXX");
		CR_FUZZ_CHECK((fd = mkstemp(conf_path)) >= 0);
		close(fd);
		atexit(remove_conf);
	}
	CR_FUZZ_CHECK((f = fopen(conf_path, "w")) != NULL);
	CR_FUZZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size);
	CR_FUZZ_CHECK(fclose(f) == 0);
	return conf_path;
}

int
cr_fuzz_conf(const uint8_t *data, size_t size, char *why, size_t whylen)
{
	struct cd_conf c;
	const char *path = write_conf(data, size);
	int rc;

	why[0] = '\0';
	cd_conf_init(&c);
	rc = cd_conf_load(&c, path, why, whylen);
	if (rc != 0) {
		CR_FUZZ_CHECK(rc == CORUN_EINVAL);
		CR_FUZZ_CHECK(strncmp(why, path, strlen(path)) == 0);
		cd_conf_free(&c);
		return rc;
	}
	CR_FUZZ_CHECK(c.socket == NULL || c.socket[0] != '\0');
	CR_FUZZ_CHECK(c.state_dir == NULL || c.state_dir[0] == '/');
	CR_FUZZ_CHECK(c.log == NULL || strcmp(c.log, "stderr") == 0 ||
	    strcmp(c.log, "syslog") == 0 || c.log[0] == '/');
	CR_FUZZ_CHECK(c.workers <= 1024);
	CR_FUZZ_CHECK(c.max_attempts >= 1 && c.max_attempts <= 1000);
	CR_FUZZ_CHECK(c.window >= 1 && c.window <= 1000000);
	CR_FUZZ_CHECK(c.heartbeat_timeout == 0 ||
	    (c.heartbeat_timeout >= 0.5 && c.heartbeat_timeout <= 86400));
	CR_FUZZ_CHECK(c.graceful_timeout >= 0 &&
	    c.graceful_timeout <= 86400);
	CR_FUZZ_CHECK(c.restart_max >= 1 && c.restart_max <= 100000);
	CR_FUZZ_CHECK(c.restart_window >= 0.1 && c.restart_window <= 86400);
	CR_FUZZ_CHECK(c.purge_age >= 0 && c.purge_age <= 1e9);
	CR_FUZZ_CHECK(c.purge_count <= 1000000000000000ull);
	CR_FUZZ_CHECK(c.max_request >= 1024 && c.max_request <= (1u << 30));
	CR_FUZZ_CHECK(c.sync_full == 0 || c.sync_full == 1);
	cd_conf_free(&c);
	return 0;
}

CR_FUZZ_ENTRY(cr_fuzz_conf)
