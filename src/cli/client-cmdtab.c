/* SPDX-License-Identifier: MIT */
/*
 * client-cmdtab.c - the table of corund's client commands: the corun
 * front (front.c) serves them, corun-engine (main.c) too and lists
 * them in its usage.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "client.h"

const struct cli_subcmd cli_client_cmds[] = {
	{ "submit", cli_cmd_submit, "submit [options] command [arg ...] | "
	    "--jobs-file FILE|-" },
	{ "status", cli_cmd_status, "status [ID] [--json]" },
	{ "wait", cli_cmd_wait, "wait ID ... | --all [--timeout S]" },
	{ "result", cli_cmd_result, "result ID [--json]" },
	{ "cancel", cli_cmd_cancel, "cancel ID ... | --all | --group G" },
	{ "pause", cli_cmd_pause, "pause [ID | GROUP | --group GROUP]" },
	{ "resume", cli_cmd_resume, "resume [ID | GROUP | --group GROUP]" },
	{ "scale", cli_cmd_scale, "scale N | +N | -N" },
	{ "drain", cli_cmd_drain, "drain" },
	{ "logs", cli_cmd_logs, "logs [-f|--follow] ID" },
	{ "follow", cli_cmd_follow, "follow ID" },
	{ "list", cli_cmd_list, "list|ls [--state S[,S...]] [--group G] "
	    "[--last N] [--json]" },
	{ "ls", cli_cmd_list, "ls: the same as list" },
	{ "restart", cli_cmd_restart, "restart [--edit | --command CMD] "
	    "[--priority N] [--env NAME=VALUE]... [--unset-env NAME]... "
	    "ID ..." },
	{ "edit", cli_cmd_edit, "edit ID [--command CMD] [--priority N] "
	    "[--env NAME=VALUE]... [--unset-env NAME]..." },
	{ "clean", cli_cmd_clean, "clean [--state S[,S...]]" },
	{ "stash", cli_cmd_stash, "stash ID ..." },
	{ "enqueue", cli_cmd_enqueue, "enqueue ID ..." },
	{ "group", cli_cmd_group, "group [--json] | group add NAME "
	    "[--parallel N] | group set NAME --parallel N | group rm NAME" },
	{ NULL, NULL, NULL }
};

const struct cli_subcmd *
cli_subcmd_find(const struct cli_subcmd *t, const char *name)
{
	for (; t->name != NULL; t++) {
		if (strcmp(t->name, name) == 0) {
			return t;
		}
	}
	return NULL;
}
