/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The SDK's own pieces, as a plugin sees them: request lookups, the token rule,
 * identity validation, the filter message.
 */
#define G_LOG_DOMAIN "RcTestSdk"

#include "config.h"

#include <roomcast-plugin.h>

#include "rc-plugin-test-util.h"

static void
test_request_headers(void)
{
	g_autoptr(RcAuthRequest) request = rc_auth_request_new("[::1]:4242");

	rc_auth_request_add_header(request, "X-Forwarded-For", "10.0.0.1");
	rc_auth_request_add_header(request, "x-forwarded-for", "10.0.0.2");
	rc_auth_request_add_query_param(request, "room", "a");
	rc_auth_request_add_query_param(request, "room", "b");

	/* names are case-insensitive; repeats are joined as HTTP does */
	g_assert_cmpstr(
	    rc_auth_request_get_header(request, "X-FORWARDED-FOR"), ==, "10.0.0.1, 10.0.0.2");
	g_assert_null(rc_auth_request_get_header(request, "Cookie"));
	/* query names are not; a repeat replaces */
	g_assert_cmpstr(rc_auth_request_get_query_param(request, "room"), ==, "b");
	g_assert_null(rc_auth_request_get_query_param(request, "Room"));
	g_assert_cmpstr(rc_auth_request_get_peer_address(request), ==, "[::1]:4242");
}

static void
test_request_token(void)
{
	struct {
		const gchar *authorization; /* NULL: no header */
		const gchar *query;	    /* NULL: no ?token= */
		const gchar *token;
	} cases[] = {
	    {NULL, NULL, NULL},
	    {NULL, "q", "q"},
	    {NULL, "", NULL},
	    {"Bearer h", NULL, "h"},
	    {"bearer h", NULL, "h"},
	    {"BEARER   h", NULL, "h"},
	    {"Bearer h", "q", "h"},
	    {"Bearer ", "q", "q"},
	    {"Bearer", "q", "q"},
	    {"Basic aDpx", "q", "q"},
	    {"Basic aDpx", NULL, NULL},
	    {"Bearerh", NULL, NULL},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(RcAuthRequest) request = rc_auth_request_new(NULL);

		if (cases[i].authorization != NULL)
			rc_auth_request_add_header(
			    request, "Authorization", cases[i].authorization);
		if (cases[i].query != NULL)
			rc_auth_request_add_query_param(request, "token", cases[i].query);
		g_assert_cmpstr(rc_auth_request_get_token(request), ==, cases[i].token);
	}
}

static void
test_sender_validation(void)
{
	g_autofree gchar *max = g_strnfill(64, 'x');
	g_autofree gchar *over = g_strnfill(65, 'x');
	/* 32 two-byte characters: 64 bytes */
	g_autoptr(GString) wide = g_string_new(NULL);
	const gchar *good[] = {"a", "Zoë", "with space", "😀", "a-b_c.d@e", max};
	const gchar *bad[] = {"", over, "tab\there", "nl\n", "del\x7f", "\xff\xfe", "c1\xc2\x85"};

	for (guint i = 0; i < 32; i++)
		g_string_append(wide, "é");
	g_assert_true(rc_identity_validate_sender(wide->str, NULL));
	g_string_append(wide, "e");
	g_assert_false(rc_identity_validate_sender(wide->str, NULL));

	for (guint i = 0; i < G_N_ELEMENTS(good); i++)
		g_assert_true(rc_identity_validate_sender(good[i], NULL));
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;

		g_assert_false(rc_identity_validate_sender(bad[i], &error));
		g_assert_error(error, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_FAILED);
	}
	g_assert_false(rc_identity_validate_sender(NULL, NULL));
}

static void
test_identity(void)
{
	g_autoptr(RcIdentity) identity = rc_identity_new();
	g_autoptr(GError) error = NULL;
	const gchar *globs[] = {"team-*", "ops", "a?c", "x:y@z.1", NULL};
	const gchar *bad_globs[] = {"ok", "no/slash", NULL};
	const gchar *none[] = {NULL};

	g_assert_null(rc_identity_get_sender(identity));
	g_assert_null(rc_identity_get_room_globs(identity));

	g_assert_true(rc_identity_set_sender(identity, "alice", &error));
	g_assert_false(rc_identity_set_sender(identity, "", &error));
	g_assert_error(error, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_FAILED);
	g_clear_error(&error);
	/* a refused value changes nothing */
	g_assert_cmpstr(rc_identity_get_sender(identity), ==, "alice");

	g_assert_true(rc_identity_set_room_globs(identity, globs, &error));
	g_assert_cmpstrv(rc_identity_get_room_globs(identity), globs);
	g_assert_false(rc_identity_set_room_globs(identity, bad_globs, &error));
	g_assert_error(error, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_FAILED);
	g_assert_cmpstr(
	    error->message, ==, "room glob “no/slash” may only hold A-Z a-z 0-9 _ . : @ - * ?");
	g_clear_error(&error);
	g_assert_cmpstrv(rc_identity_get_room_globs(identity), globs);

	/* empty: no room; NULL: every room */
	g_assert_true(rc_identity_set_room_globs(identity, none, &error));
	g_assert_nonnull(rc_identity_get_room_globs(identity));
	g_assert_null(rc_identity_get_room_globs(identity)[0]);
	g_assert_true(rc_identity_set_room_globs(identity, NULL, &error));
	g_assert_null(rc_identity_get_room_globs(identity));
}

static void
test_filter_message(void)
{
	g_autoptr(RcFilterMessage) message =
	    rc_filter_message_new(RC_PLUGIN_SOURCE_HTTP, NULL, "/ns", "room_1", "bot", "hi");

	g_assert_cmpint(rc_filter_message_get_source(message), ==, RC_PLUGIN_SOURCE_HTTP);
	g_assert_null(rc_filter_message_get_connection_id(message));
	g_assert_cmpstr(rc_filter_message_get_namespace(message), ==, "/ns");
	g_assert_cmpstr(rc_filter_message_get_room_code(message), ==, "room_1");
	g_assert_cmpstr(rc_filter_message_get_sender(message), ==, "bot");
	g_assert_cmpstr(rc_filter_message_get_text(message), ==, "hi");
	rc_filter_message_set_text(message, "hé");
	g_assert_cmpstr(rc_filter_message_get_text(message), ==, "hé");
	/* setting its own text back is safe */
	rc_filter_message_set_text(message, rc_filter_message_get_text(message));
	g_assert_cmpstr(rc_filter_message_get_text(message), ==, "hé");
}

int
main(int argc, char **argv)
{
	rc_ptest_init(&argc, &argv);
	g_test_add_func("/sdk/request/headers", test_request_headers);
	g_test_add_func("/sdk/request/token", test_request_token);
	g_test_add_func("/sdk/identity/sender-validation", test_sender_validation);
	g_test_add_func("/sdk/identity/globs", test_identity);
	g_test_add_func("/sdk/filter-message", test_filter_message);
	return g_test_run();
}
