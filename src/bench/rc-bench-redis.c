/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcBench"

#include <glib/gi18n.h>
#include <string.h>

#include "rc-bench-redis.h"

#define INFO_COMMAND "INFO stats\r\n"
#define INFO_MAX_BYTES 65536
#define INFO_TIMEOUT_S 5

typedef struct {
	GSocketConnection *conn;
	GString *buf;
	gchar chunk[4096];
} InfoData;

static void
info_data_free(InfoData *d)
{
	if (d->conn != NULL)
		g_io_stream_close(G_IO_STREAM(d->conn), NULL, NULL);
	g_clear_object(&d->conn);
	g_string_free(d->buf, TRUE);
	g_free(d);
}

gint
rc_bench_redis_parse_info(const gchar *data, gsize len, guint64 *commands, GError **error)
{
	static const gchar key[] = "\ntotal_commands_processed:";
	const gchar *end = data + len;
	const gchar *p;
	gchar *num_end = NULL;
	g_autofree gchar *line = NULL;
	guint64 v;

	if (len == 0)
		return 0;
	if (data[0] == '-') {
		const gchar *eol = memchr(data, '\r', len);
		line = g_strndup(data + 1, eol != NULL ? (gsize)(eol - data - 1) : len - 1);
		g_set_error(
		    error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Redis refused INFO stats: %s"), line);
		return -1;
	}
	if (data[0] != '$') {
		g_set_error_literal(error,
				    G_IO_ERROR,
				    G_IO_ERROR_INVALID_DATA,
				    _("the Redis answer to INFO stats is not a bulk string"));
		return -1;
	}
	p = memmem(data, len, key, sizeof(key) - 1);
	if (p == NULL ||
	    memchr(p + sizeof(key) - 1, '\r', (gsize)(end - p - sizeof(key) + 1)) == NULL)
		return 0;
	p += sizeof(key) - 1;
	line = g_strndup(p, (gsize)((const gchar *)memchr(p, '\r', (gsize)(end - p)) - p));
	v = g_ascii_strtoull(line, &num_end, 10);
	if (num_end == line || *num_end != '\0') {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_DATA,
			    _("unreadable total_commands_processed in INFO stats: “%s”"),
			    line);
		return -1;
	}
	*commands = v;
	return 1;
}

static void info_read_cb(GObject *source, GAsyncResult *result, gpointer user_data);

static void
info_read_more(GTask *task)
{
	InfoData *d = g_task_get_task_data(task);

	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(d->conn)),
				  d->chunk,
				  sizeof(d->chunk),
				  G_PRIORITY_DEFAULT,
				  g_task_get_cancellable(task),
				  info_read_cb,
				  task);
}

static void
info_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	InfoData *d = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
	guint64 commands = 0;
	gint found;

	if (n < 0) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_string_append_len(d->buf, d->chunk, n);
	found = rc_bench_redis_parse_info(d->buf->str, d->buf->len, &commands, &error);
	if (found < 0) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	if (found > 0) {
		guint64 *out = g_new(guint64, 1);

		*out = commands;
		g_task_return_pointer(task, out, g_free);
		return;
	}
	if (n == 0 || d->buf->len > INFO_MAX_BYTES) {
		g_task_return_new_error(
		    task,
		    G_IO_ERROR,
		    G_IO_ERROR_INVALID_DATA,
		    _("no total_commands_processed in the Redis INFO stats answer"));
		return;
	}
	info_read_more(g_steal_pointer(&task));
}

static void
info_write_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	info_read_more(g_steal_pointer(&task));
}

static void
info_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	InfoData *d = g_task_get_task_data(task);
	GCancellable *cancellable = g_task_get_cancellable(task);
	g_autoptr(GError) error = NULL;

	d->conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(source), result, &error);
	if (d->conn == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(d->conn)),
					INFO_COMMAND,
					strlen(INFO_COMMAND),
					G_PRIORITY_DEFAULT,
					cancellable,
					info_write_cb,
					g_steal_pointer(&task));
}

void
rc_bench_redis_commands_async(GSocketConnectable *address,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	g_autoptr(GSocketClient) client = g_socket_client_new();
	InfoData *d = g_new0(InfoData, 1);

	g_task_set_source_tag(task, rc_bench_redis_commands_async);
	d->buf = g_string_new(NULL);
	g_task_set_task_data(task, d, (GDestroyNotify)info_data_free);
	g_socket_client_set_timeout(client, INFO_TIMEOUT_S);
	g_socket_client_connect_async(
	    client, address, cancellable, info_connect_cb, g_steal_pointer(&task));
}

gboolean
rc_bench_redis_commands_finish(GAsyncResult *result, guint64 *commands, GError **error)
{
	g_autofree guint64 *v = NULL;

	g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
	v = g_task_propagate_pointer(G_TASK(result), error);
	if (v == NULL)
		return FALSE;
	*commands = *v;
	return TRUE;
}
