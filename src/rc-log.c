/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcLog"

#include "config.h"

#include "rc-log.h"

#define RC_LOG_LIMIT_WINDOW_US ((gint64)RC_LOG_LIMIT_WINDOW_SECONDS * G_USEC_PER_SEC)

static void
rc_log_write(const gchar *domain, const gchar *client, const gchar *room, const gchar *message)
{
	GLogField fields[5] = {
	    {"GLIB_DOMAIN", domain, -1},
	    {"PRIORITY", "6", -1},
	    {"MESSAGE", message, -1},
	};
	gsize n = 3;

	/* journald keeps these as fields of their own: `journalctl ROOMCAST_CLIENT=…` */
	if (client != NULL)
		fields[n++] = (GLogField){"ROOMCAST_CLIENT", client, -1};
	if (room != NULL)
		fields[n++] = (GLogField){"ROOMCAST_ROOM", room, -1};
	g_log_structured_array(G_LOG_LEVEL_INFO, fields, n);
}

/* the window ended with lines left out: say how many, once, and start afresh */
static gboolean
rc_log_limit_flush_cb(gpointer user_data)
{
	RcLogLimit *limit = user_data;
	g_autofree gchar *message = NULL;

	limit->flush_id = 0;
	/* like every log line, not translated: it is for whoever greps the journal */
	message = g_strdup_printf("%u more %s in the last %u s not logged",
				  limit->suppressed,
				  limit->what,
				  (guint)RC_LOG_LIMIT_WINDOW_SECONDS);
	rc_log_write(limit->domain, NULL, NULL, message);
	limit->window_start = 0;
	limit->n = 0;
	limit->suppressed = 0;
	return G_SOURCE_REMOVE;
}

void
rc_log_limited(RcLogLimit *limit, const gchar *client, const gchar *room, const gchar *format, ...)
{
	gint64 now = g_get_monotonic_time();
	g_autofree gchar *message = NULL;
	va_list args;

	if (limit->flush_id == 0 && now - limit->window_start >= RC_LOG_LIMIT_WINDOW_US) {
		limit->window_start = now;
		limit->n = 0;
	}
	if (limit->n >= RC_LOG_LIMIT_BURST) {
		/* one timer per window, not one per line left out */
		if (limit->suppressed++ == 0) {
			gint64 left = limit->window_start + RC_LOG_LIMIT_WINDOW_US - now;
			limit->flush_id = g_timeout_add_full(G_PRIORITY_DEFAULT,
							     (guint)MAX(left / 1000, 1),
							     rc_log_limit_flush_cb,
							     limit,
							     NULL);
		}
		return;
	}
	limit->n++;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	rc_log_write(limit->domain, client, room, message);
}

static void
rc_log_drop_cb(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user_data)
{
}

guint
rc_log_drop_unwanted_debug(const gchar *domain)
{
	/* G_MESSAGES_DEBUG is read once: nothing here changes it, or the debug flag, later */
	if (!g_log_writer_default_would_drop(G_LOG_LEVEL_DEBUG, domain))
		return 0;
	return g_log_set_handler(domain, G_LOG_LEVEL_DEBUG, rc_log_drop_cb, NULL);
}
