/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Reads total_commands_processed from "INFO stats" of the Redis server at @address over a
 * plain TCP connection of its own (inline command, RESP read by hand: no hiredis here). */
void rc_bench_redis_commands_async(GSocketConnectable *address,
				   GCancellable *cancellable,
				   GAsyncReadyCallback callback,
				   gpointer user_data);
gboolean rc_bench_redis_commands_finish(GAsyncResult *result, guint64 *commands, GError **error);

/* the total_commands_processed value of an INFO answer (a RESP bulk string, complete or not):
 * 1 found, 0 not (yet) there, -1 the answer is an error or malformed (@error set) */
gint rc_bench_redis_parse_info(const gchar *data, gsize len, guint64 *commands, GError **error);

G_END_DECLS
