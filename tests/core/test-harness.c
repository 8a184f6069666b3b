/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestHarnessTest"

#include "rc-test-harness.h"

/* The harness is what every other test relies on: check its Redis side on its own. */

static void
test_free_port(void)
{
	guint16 a = rc_test_free_port();

	g_assert_cmpuint(a, >, 0);
	g_assert_cmpuint(a, !=, 6379);
}

static void
test_redis_lifecycle(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autofree gchar *pong = rc_test_redis_command(redis, "PING", NULL);
	g_autofree gchar *set = rc_test_redis_command(redis, "SET", "k", "v", NULL);
	g_autofree gchar *get = NULL;
	g_autofree gchar *after = NULL;
	g_autofree gchar *expected_url = NULL;
	guint16 port = rc_test_redis_get_port(redis);

	g_assert_cmpstr(pong, ==, "PONG");
	g_assert_cmpstr(set, ==, "OK");
	g_assert_cmpuint(port, !=, 6379);
	expected_url = g_strdup_printf("redis://127.0.0.1:%u", port);
	g_assert_cmpstr(rc_test_redis_get_url(redis), ==, expected_url);

	rc_test_redis_stop(redis);
	g_assert_false(rc_test_redis_is_running(redis));
	rc_test_redis_start(redis);
	g_assert_true(rc_test_redis_is_running(redis));
	g_assert_cmpuint(rc_test_redis_get_port(redis), ==, port);
	/* no persistence: a restart forgets everything */
	get = rc_test_redis_command(redis, "GET", "k", NULL);
	g_assert_cmpstr(get, ==, "");
	after = rc_test_redis_command(redis, "DBSIZE", NULL);
	g_assert_cmpstr(after, ==, "0");
}

static void
test_redis_cli_publish(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_auto(GStrv) channels = rc_test_redis_pubsub_channels(redis, "*");

	g_assert_cmpuint(g_strv_length(channels), ==, 0);
	g_assert_cmpint(rc_test_redis_cli_publish(redis, "livechat", "{}"), ==, 0);
}

int
main(int argc, char **argv)
{
	rc_test_init(&argc, &argv);
	g_test_add_func("/harness/free-port", test_free_port);
	g_test_add_func("/harness/redis/lifecycle", test_redis_lifecycle);
	g_test_add_func("/harness/redis/cli-publish", test_redis_cli_publish);
	return g_test_run();
}
