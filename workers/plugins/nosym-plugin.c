/* SPDX-License-Identifier: MIT */
/*
 * nosym-plugin.c - a shared object that is not a job plugin: it lacks
 * corun_job_plugin_init (for the loader's tests, `make check` only).
 */
int wk_nosym_plugin_marker(void);

int
wk_nosym_plugin_marker(void)
{
	return 42;
}
