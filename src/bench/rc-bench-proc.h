/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* utime + stime of @pid (its own threads, not its children) in seconds, from /proc/PID/stat */
gboolean rc_bench_proc_get_cpu_seconds(gint pid, gdouble *seconds, GError **error);
/* a "kB" line of /proc/PID/status such as "VmRSS" or "VmHWM", in KiB */
gboolean rc_bench_proc_get_status_kb(gint pid, const gchar *field, guint64 *kb, GError **error);
/* bytes the process read and wrote through system calls (rchar, wchar of /proc/PID/io):
 * sockets included, so for a node this is its WebSocket and Redis traffic */
gboolean rc_bench_proc_get_io_bytes(gint pid, guint64 *read, guint64 *written, GError **error);
/* user + system CPU of this process in seconds (getrusage, µs resolution) */
gdouble rc_bench_proc_get_self_cpu_seconds(void);

G_END_DECLS
