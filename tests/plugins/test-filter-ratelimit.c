/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * filter-ratelimit through the plugin host: bursts, refill, per-connection buckets.
 */
#define G_LOG_DOMAIN "RcTestFilterRatelimit"

#include "config.h"

#include "rc-error.h"
#include "rc-message.h"
#include "rc-plugin-test-util.h"

static RcPluginHost *
host_new(const gchar *settings)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config = g_strdup_printf("[plugin:filter-ratelimit]\n%s", settings);
	RcPluginHost *host =
	    rc_ptest_host_new(rc_ptest_plugin_dir(), "filter-ratelimit", config, &error);

	g_assert_no_error(error);
	return host;
}

static gboolean
send_one(RcPluginHost *host, const gchar *connection_id, GError **error)
{
	return rc_ptest_filter(host, connection_id, "hi", NULL, error);
}

/* sends until refused; returns how many got through */
static guint
send_until_limited(RcPluginHost *host, const gchar *connection_id, guint max)
{
	for (guint i = 0; i < max; i++) {
		g_autoptr(GError) error = NULL;

		if (!send_one(host, connection_id, &error)) {
			g_assert_error(error, RC_ERROR, RC_ERROR_RATE_LIMITED);
			return i;
		}
	}
	return max;
}

/* A loaded machine may pause us mid-burst, and the bucket refills meanwhile: what
 * got through must be the burst plus what @rate earned while we sent, no more. */
static void
assert_burst(RcPluginHost *host, const gchar *connection_id, guint burst, gdouble rate)
{
	gint64 start = g_get_monotonic_time();
	guint passed = send_until_limited(host, connection_id, burst * 10 + 100);
	gdouble elapsed = (gdouble)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;

	g_assert_cmpuint(passed, >=, burst);
	g_assert_cmpuint(passed, <=, burst + (guint)(elapsed * rate) + 1);
}

static void
test_defaults(void)
{
	g_autoptr(RcPluginHost) host = host_new("");
	g_autoptr(GError) error = NULL;

	/* burst 20 at 10/s */
	assert_burst(host, "c1", 20, 10.0);
	for (guint i = 0; i < 100 && send_one(host, "c1", &error); i++)
		;
	g_assert_error(error, RC_ERROR, RC_ERROR_RATE_LIMITED);
	g_assert_cmpstr(
	    error->message, ==, "too many messages: at most 10 per second (bursts of 20)");
}

static void
test_refill(void)
{
	g_autoptr(RcPluginHost) host = host_new("rate=20\nburst=3\n");
	g_autoptr(GError) error = NULL;

	assert_burst(host, "c1", 3, 20.0);
	/* 20/s gives a token every 50 ms */
	g_usleep(150 * 1000);
	g_assert_true(send_one(host, "c1", &error));
	g_assert_no_error(error);
	/* however long the wait, never more than the burst at once */
	g_usleep(400 * 1000);
	assert_burst(host, "c1", 3, 20.0);
}

static void
test_per_connection(void)
{
	g_autoptr(RcPluginHost) host = host_new("rate=0.5\nburst=2\n");
	g_autoptr(GError) error = NULL;

	assert_burst(host, "c1", 2, 0.5);
	/* another connection has its own bucket */
	assert_burst(host, "c2", 2, 0.5);
	g_assert_false(send_one(host, "c1", &error));
	g_clear_error(&error);

	/* a closed connection's state is dropped: a new one with the same id starts full */
	rc_plugin_host_connection_closed(host, "c1");
	assert_burst(host, "c1", 2, 0.5);
	/* closing an unknown id is harmless */
	rc_plugin_host_connection_closed(host, "never-seen");
}

static void
test_http_and_dbus_unlimited(void)
{
	g_autoptr(RcPluginHost) host = host_new("rate=0.5\nburst=1\n");
	g_autoptr(GError) error = NULL;

	/* HTTP (no connection id) */
	for (guint i = 0; i < 50; i++) {
		g_assert_true(send_one(host, NULL, &error));
		g_assert_no_error(error);
	}
	/* D-Bus, even if a caller passed an id */
	for (guint i = 0; i < 50; i++) {
		g_autofree gchar *text = g_strdup("hi");

		g_assert_true(rc_plugin_host_filter(
		    host, RC_SOURCE_DBUS, NULL, "/", "room_1", "ops", &text, &error));
		g_assert_no_error(error);
	}
	/* and WebSocket is still limited */
	assert_burst(host, "c1", 1, 0.5);
}

static void
test_bad_settings(void)
{
	const gchar *bad_rate = "plugin filter-ratelimit: cannot start: “rate” in "
				"[plugin:filter-ratelimit] must be a number of messages per second "
				"above 0";
	const gchar *bad_burst =
	    "plugin filter-ratelimit: cannot start: “burst” in "
	    "[plugin:filter-ratelimit] must be a whole number of messages, 1 or "
	    "more";
	const struct {
		const gchar *settings;
		const gchar *message;
	} cases[] = {
	    {"rate=0\n", bad_rate},
	    {"rate=-1\n", bad_rate},
	    {"rate=fast\n", bad_rate},
	    {"rate=nan\n", bad_rate},
	    {"rate=inf\n", bad_rate},
	    {"burst=0\n", bad_burst},
	    {"burst=2.5\n", bad_burst},
	    {"burst=lots\n", bad_burst},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *config =
		    g_strdup_printf("[plugin:filter-ratelimit]\n%s", cases[i].settings);
		g_autoptr(RcPluginHost) host =
		    rc_ptest_host_new(rc_ptest_plugin_dir(), "filter-ratelimit", config, &error);

		g_assert_null(host);
		g_assert_error(error, RC_ERROR, RC_ERROR_FAILED);
		g_assert_cmpstr(error->message, ==, cases[i].message);
	}
}

int
main(int argc, char **argv)
{
	rc_ptest_init(&argc, &argv);
	g_test_add_func("/filter-ratelimit/defaults", test_defaults);
	g_test_add_func("/filter-ratelimit/refill", test_refill);
	g_test_add_func("/filter-ratelimit/per-connection", test_per_connection);
	g_test_add_func("/filter-ratelimit/http-and-dbus-unlimited", test_http_and_dbus_unlimited);
	g_test_add_func("/filter-ratelimit/bad-settings", test_bad_settings);
	return g_test_run();
}
