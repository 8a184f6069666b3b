/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestLog"

#include "config.h"

#include <string.h>

#include "rc-log.h"
#include "rc-metrics.h"

/* rc-log: the fields journald gets, and the limit; rc-metrics: where an
 * observation lands in the histogram. In-process, with a log writer of our own. */

typedef struct {
	gchar *message;
	gchar *client;
	gchar *room;
	gchar *domain;
	gchar *priority;
	GLogLevelFlags level;
} Entry;

static GPtrArray *entries;

static void
entry_free(Entry *e)
{
	g_free(e->message);
	g_free(e->client);
	g_free(e->room);
	g_free(e->domain);
	g_free(e->priority);
	g_free(e);
}

static gchar *
field_dup(const GLogField *f)
{
	return f->length < 0 ? g_strdup(f->value) : g_strndup(f->value, (gsize)f->length);
}

static GLogWriterOutput
writer_cb(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	Entry *e = g_new0(Entry, 1);

	/* only ours: GLib's own criticals would still be fatal */
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
		return g_log_writer_default(level, fields, n_fields, user_data);
	e->level = level;
	for (gsize i = 0; i < n_fields; i++) {
		if (g_str_equal(fields[i].key, "MESSAGE"))
			e->message = field_dup(&fields[i]);
		else if (g_str_equal(fields[i].key, "ROOMCAST_CLIENT"))
			e->client = field_dup(&fields[i]);
		else if (g_str_equal(fields[i].key, "ROOMCAST_ROOM"))
			e->room = field_dup(&fields[i]);
		else if (g_str_equal(fields[i].key, "GLIB_DOMAIN"))
			e->domain = field_dup(&fields[i]);
		else if (g_str_equal(fields[i].key, "PRIORITY"))
			e->priority = field_dup(&fields[i]);
	}
	g_ptr_array_add(entries, e);
	return G_LOG_WRITER_HANDLED;
}

static void
test_log_fields(void)
{
	static RcLogLimit limit = RC_LOG_LIMIT_INIT("test lines");
	Entry *e;

	g_ptr_array_set_size(entries, 0);
	rc_log_limited(&limit, "c1-2", "/ns/room-1", "refused %s", "this");
	rc_log_limited(&limit, "127.0.0.1:5000", NULL, "refused %s", "that");
	g_assert_cmpuint(entries->len, ==, 2);

	e = g_ptr_array_index(entries, 0);
	g_assert_cmpint(e->level & G_LOG_LEVEL_MASK, ==, G_LOG_LEVEL_INFO);
	g_assert_cmpstr(e->message, ==, "refused this");
	g_assert_cmpstr(e->client, ==, "c1-2");
	g_assert_cmpstr(e->room, ==, "/ns/room-1");
	/* the caller's domain, and journald's "info" */
	g_assert_cmpstr(e->domain, ==, "RcTestLog");
	g_assert_cmpstr(e->priority, ==, "6");

	/* no room: no field */
	e = g_ptr_array_index(entries, 1);
	g_assert_cmpstr(e->client, ==, "127.0.0.1:5000");
	g_assert_null(e->room);
}

static gboolean
quit_cb(gpointer user_data)
{
	g_main_loop_quit(user_data);
	return G_SOURCE_REMOVE;
}

static void
test_log_limit(void)
{
	static RcLogLimit limit = RC_LOG_LIMIT_INIT("flood lines");
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	Entry *last;

	g_ptr_array_set_size(entries, 0);
	for (guint i = 0; i < RC_LOG_LIMIT_BURST + 25; i++)
		rc_log_limited(&limit, "c", "r", "line %u", i);
	g_assert_cmpuint(entries->len, ==, RC_LOG_LIMIT_BURST);
	g_assert_cmpstr(
	    ((Entry *)g_ptr_array_index(entries, RC_LOG_LIMIT_BURST - 1))->message, ==, "line 9");
	/* one timer for the whole window, however many lines are left out */
	g_assert_cmpuint(limit.flush_id, !=, 0);

	/* the window ends: one line with the count, no client or room of its own */
	g_timeout_add_seconds(RC_LOG_LIMIT_WINDOW_SECONDS + 1, quit_cb, loop);
	g_main_loop_run(loop);
	g_assert_cmpuint(entries->len, ==, RC_LOG_LIMIT_BURST + 1);
	last = g_ptr_array_index(entries, RC_LOG_LIMIT_BURST);
	g_assert_cmpstr(last->message, ==, "25 more flood lines in the last 10 s not logged");
	g_assert_null(last->client);
	g_assert_null(last->room);
	g_assert_cmpuint(limit.flush_id, ==, 0);

	/* and a new window lets lines through again */
	rc_log_limited(&limit, "c", "r", "again");
	g_assert_cmpuint(entries->len, ==, RC_LOG_LIMIT_BURST + 2);
}

static guint64
sample(const gchar *text, const gchar *name)
{
	g_autofree gchar *key = g_strconcat("\n", name, " ", NULL);
	const gchar *at = strstr(text, key);
	g_assert_nonnull(at);
	return g_ascii_strtoull(at + strlen(key), NULL, 10);
}

static void
test_metrics_histogram(void)
{
	gint64 now = g_get_monotonic_time();
	g_autoptr(GString) s = g_string_new(NULL);

	/* 0 is "not known" (history): not counted */
	rc_metrics_observe_delivery(0);
	rc_metrics_observe_delivery(now - 3000);	       /* ≤ 5 ms */
	rc_metrics_observe_delivery(now - 40000);	       /* ≤ 50 ms */
	rc_metrics_observe_delivery(now - 9 * G_USEC_PER_SEC); /* +Inf only */
	rc_metrics_append(s);
	g_assert_cmpuint(sample(s->str, "roomcast_delivery_latency_seconds_count"), ==, 3);
	g_assert_cmpuint(
	    sample(s->str, "roomcast_delivery_latency_seconds_bucket{le=\"0.0025\"}"), ==, 0);
	g_assert_cmpuint(
	    sample(s->str, "roomcast_delivery_latency_seconds_bucket{le=\"0.005\"}"), ==, 1);
	g_assert_cmpuint(
	    sample(s->str, "roomcast_delivery_latency_seconds_bucket{le=\"0.05\"}"), ==, 2);
	g_assert_cmpuint(
	    sample(s->str, "roomcast_delivery_latency_seconds_bucket{le=\"2.5\"}"), ==, 2);
	g_assert_cmpuint(
	    sample(s->str, "roomcast_delivery_latency_seconds_bucket{le=\"+Inf\"}"), ==, 3);
	/* about 9.043 s, written with a dot whatever the locale */
	g_assert_cmpuint(sample(s->str, "roomcast_delivery_latency_seconds_sum"), ==, 9);
	g_assert_nonnull(strstr(s->str, "\nroomcast_delivery_latency_seconds_sum 9.04"));

	rc_metrics_count_plugin_rejection("odd\"name", "filter");
	rc_metrics_count_refused_upgrade(503);
	g_string_truncate(s, 0);
	rc_metrics_append(s);
	/* label values escaped as the text format wants */
	g_assert_nonnull(
	    strstr(s->str,
		   "roomcast_plugin_rejections_total{kind=\"filter\",plugin=\"odd\\\"name\"} 1\n"));
	g_assert_nonnull(strstr(s->str, "roomcast_upgrades_refused_total{status=\"503\"} 1\n"));
}

static guint64
bucket(const gchar *le)
{
	g_autoptr(GString) s = g_string_new(NULL);
	g_autofree gchar *name =
	    g_strdup_printf("roomcast_delivery_latency_seconds_bucket{le=\"%s\"}", le);

	rc_metrics_append(s);
	return sample(s->str, name);
}

/* a fan-out shares readings of the clock, but never one from before it began */
static void
test_metrics_fanout_clock(void)
{
	guint64 fast = bucket("0.0025"), slow = bucket("0.005");
	gint64 now;

	rc_metrics_fanout_begin();
	now = g_get_monotonic_time();
	for (guint i = 0; i < 40; i++)
		rc_metrics_observe_delivery(now - 3000);
	rc_metrics_fanout_end();
	g_assert_cmpuint(bucket("0.0025"), ==, fast);
	g_assert_cmpuint(bucket("0.005"), ==, slow + 40);

	/* 30 ms later: a reading kept from the last fan-out would make this one
	 * look 27 ms early, and it would count as under 2.5 ms */
	g_usleep(30000);
	rc_metrics_fanout_begin();
	rc_metrics_fanout_begin();
	now = g_get_monotonic_time();
	rc_metrics_observe_delivery(now - 3000);
	rc_metrics_fanout_end();
	rc_metrics_fanout_end();
	g_assert_cmpuint(bucket("0.0025"), ==, fast);
	g_assert_cmpuint(bucket("0.005"), ==, slow + 41);

	/* outside a fan-out, every delivery reads the clock */
	g_usleep(30000);
	now = g_get_monotonic_time();
	rc_metrics_observe_delivery(now - 3000);
	g_assert_cmpuint(bucket("0.0025"), ==, fast);
	g_assert_cmpuint(bucket("0.005"), ==, slow + 42);
}

/* deliveries of one fan-out share a clock reading and what it gave, but only
 * for the same message: one accepted at another time gets its own bucket */
static void
test_metrics_fanout_messages(void)
{
	guint64 quick = bucket("0.0005"), slow = bucket("0.005"), any = bucket("+Inf");
	gint64 now;

	rc_metrics_fanout_begin();
	now = g_get_monotonic_time();
	for (guint i = 0; i < 3; i++) {
		rc_metrics_observe_delivery(now - 3000);
		rc_metrics_observe_delivery(now - 3000);
		/* accepted "later" than now: 0 µs, the first bucket, however slow the test */
		rc_metrics_observe_delivery(now + G_USEC_PER_SEC);
	}
	rc_metrics_fanout_end();
	g_assert_cmpuint(bucket("0.0005"), ==, quick + 3);
	g_assert_cmpuint(bucket("0.005"), ==, slow + 9);
	g_assert_cmpuint(bucket("+Inf"), ==, any + 9);
}

/* debug messages nobody asked for stop before GLib's writer; asked for, or of
 * another level, they reach it */
static void
test_log_drop_unwanted_debug(void)
{
	guint id;

	g_ptr_array_set_size(entries, 0);
	g_setenv("G_MESSAGES_DEBUG", "RcTestWanted", TRUE);
	g_assert_cmpuint(rc_log_drop_unwanted_debug("RcTestWanted"), ==, 0);
	id = rc_log_drop_unwanted_debug("RcTestNoisy");
	g_assert_cmpuint(id, !=, 0);
	g_log("RcTestNoisy", G_LOG_LEVEL_DEBUG, "frame %d", 1);
	g_assert_cmpuint(entries->len, ==, 0);
	g_log("RcTestWanted", G_LOG_LEVEL_DEBUG, "frame %d", 2);
	g_log("RcTestNoisy", G_LOG_LEVEL_INFO, "frame %d", 3);
	g_assert_cmpuint(entries->len, ==, 2);
	g_assert_cmpstr(((Entry *)entries->pdata[0])->message, ==, "frame 2");
	g_assert_cmpstr(((Entry *)entries->pdata[1])->message, ==, "frame 3");
	g_log_remove_handler("RcTestNoisy", id);
	g_log("RcTestNoisy", G_LOG_LEVEL_DEBUG, "frame %d", 4);
	g_assert_cmpuint(entries->len, ==, 3);
	g_unsetenv("G_MESSAGES_DEBUG");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	entries = g_ptr_array_new_with_free_func((GDestroyNotify)entry_free);
	g_log_set_writer_func(writer_cb, NULL, NULL);
	g_test_add_func("/log/fields", test_log_fields);
	g_test_add_func("/log/limit", test_log_limit);
	g_test_add_func("/log/drop-unwanted-debug", test_log_drop_unwanted_debug);
	g_test_add_func("/metrics/histogram", test_metrics_histogram);
	g_test_add_func("/metrics/fanout-clock", test_metrics_fanout_clock);
	g_test_add_func("/metrics/fanout-messages", test_metrics_fanout_messages);
	return g_test_run();
}
