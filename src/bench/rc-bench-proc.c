/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcBench"

#include <glib/gi18n.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "rc-bench-proc.h"

gboolean
rc_bench_proc_get_cpu_seconds(gint pid, gdouble *seconds, GError **error)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree gchar *contents = NULL;
	g_auto(GStrv) fields = NULL;
	const gchar *rest;
	long ticks_per_s = sysconf(_SC_CLK_TCK);

	if (!g_file_get_contents(path, &contents, NULL, error))
		return FALSE;
	/* the command name in parentheses may contain spaces: fields restart after the last ')' */
	rest = strrchr(contents, ')');
	if (rest == NULL || rest[1] == '\0') {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("cannot parse %s"), path);
		return FALSE;
	}
	fields = g_strsplit(rest + 2, " ", 16);
	/* after ')': state(0) ppid(1) ... utime(11) stime(12) */
	if (g_strv_length(fields) < 14) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("cannot parse %s"), path);
		return FALSE;
	}
	*seconds = (gdouble)(g_ascii_strtoull(fields[11], NULL, 10) +
			     g_ascii_strtoull(fields[12], NULL, 10)) /
		   (gdouble)(ticks_per_s > 0 ? ticks_per_s : 100);
	return TRUE;
}

gboolean
rc_bench_proc_get_status_kb(gint pid, const gchar *field, guint64 *kb, GError **error)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree gchar *contents = NULL;
	g_auto(GStrv) lines = NULL;
	gsize field_len = strlen(field);

	if (!g_file_get_contents(path, &contents, NULL, error))
		return FALSE;
	lines = g_strsplit(contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (strncmp(lines[i], field, field_len) == 0 && lines[i][field_len] == ':') {
			*kb = g_ascii_strtoull(lines[i] + field_len + 1, NULL, 10);
			return TRUE;
		}
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("no %s line in %s"), field, path);
	return FALSE;
}

gboolean
rc_bench_proc_get_io_bytes(gint pid, guint64 *read, guint64 *written, GError **error)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%d/io", pid);
	g_autofree gchar *contents = NULL;
	g_auto(GStrv) lines = NULL;
	gboolean have_read = FALSE, have_written = FALSE;

	if (!g_file_get_contents(path, &contents, NULL, error))
		return FALSE;
	lines = g_strsplit(contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_prefix(lines[i], "rchar: ")) {
			*read = g_ascii_strtoull(lines[i] + 7, NULL, 10);
			have_read = TRUE;
		} else if (g_str_has_prefix(lines[i], "wchar: ")) {
			*written = g_ascii_strtoull(lines[i] + 7, NULL, 10);
			have_written = TRUE;
		}
	}
	if (!have_read || !have_written) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("cannot parse %s"), path);
		return FALSE;
	}
	return TRUE;
}

gdouble
rc_bench_proc_get_self_cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (gdouble)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (gdouble)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
