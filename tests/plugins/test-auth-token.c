/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * auth-token through the plugin host: the token file format, its malformed lines,
 * and every way a client is accepted or refused.
 */
#define G_LOG_DOMAIN "RcTestAuthToken"

#include "config.h"

#include <string.h>

#include "rc-error.h"
#include "rc-message.h"
#include "rc-plugin-test-util.h"

typedef struct {
	RcPtestDir *dir;
	gchar *tokens;
	RcPluginHost *host;
} Fixture;

static const gchar *good_file = "# roomcast tokens\n"
				"\n"
				"t-alice alice\n"
				"   t-bob\tbob team-* ops   \n"
				"t-crlf carol\r\n"
				"t-utf8 Zoë\n"
				"t-comment dave # a comment\n"
				"t-glob-comment erin team-* #ops lobby\n"
				"t-hash f#1\n";

static RcPluginHost *
load(Fixture *f, GError **error)
{
	g_autofree gchar *config = g_strdup_printf("[plugin:auth-token]\ntokens=%s\n", f->tokens);

	return rc_ptest_host_new(rc_ptest_plugin_dir(), "auth-token", config, error);
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = rc_ptest_dir_new();
	f->tokens = rc_ptest_dir_write(f->dir, "tokens.txt", data != NULL ? data : good_file);
	if (data != NULL)
		return; /* the test loads it, expecting warnings */
	f->host = load(f, &error);
	g_assert_no_error(error);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	g_clear_object(&f->host);
	g_free(f->tokens);
	rc_ptest_dir_free(f->dir);
}

static gboolean
auth_request(Fixture *f, RcAuthRequest *request, gchar **sender, GStrv *globs, GError **error)
{
	return rc_plugin_host_authenticate_request(f->host, request, sender, globs, error);
}

static gboolean
auth(Fixture *f, const gchar *token, gchar **sender, GStrv *globs, GError **error)
{
	g_autoptr(RcAuthRequest) request = rc_ptest_request_new(token);

	return auth_request(f, request, sender, globs, error);
}

static void
assert_refused(Fixture *f, const gchar *token, const gchar *message)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sender = NULL;
	g_auto(GStrv) globs = NULL;

	g_assert_false(auth(f, token, &sender, &globs, &error));
	g_assert_error(error, RC_ERROR, RC_ERROR_UNAUTHORIZED);
	g_assert_cmpstr(error->message, ==, message);
	g_assert_null(sender);
	g_assert_null(globs);
}

static void
assert_accepted(Fixture *f, const gchar *token, const gchar *sender, const gchar *const *globs)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *got_sender = NULL;
	g_auto(GStrv) got_globs = NULL;

	g_assert_true(auth(f, token, &got_sender, &got_globs, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(got_sender, ==, sender);
	if (globs == NULL)
		g_assert_null(got_globs);
	else
		g_assert_cmpstrv(got_globs, globs);
}

static void
test_accepted(Fixture *f, gconstpointer data)
{
	assert_accepted(f, "t-alice", "alice", NULL);
	assert_accepted(f, "t-bob", "bob", ((const gchar *[]){"team-*", "ops", NULL}));
	assert_accepted(f, "t-crlf", "carol", NULL);
	assert_accepted(f, "t-utf8", "Zoë", NULL);
	/* a word that starts with # starts a comment; a # inside a word is just a # */
	assert_accepted(f, "t-comment", "dave", NULL);
	assert_accepted(f, "t-glob-comment", "erin", ((const gchar *[]){"team-*", NULL}));
	assert_accepted(f, "t-hash", "f#1", NULL);
}

static void
test_bearer_header(Fixture *f, gconstpointer data)
{
	g_autoptr(RcAuthRequest) request = rc_ptest_request_new(NULL);
	g_autoptr(RcAuthRequest) lower = rc_ptest_request_new("t-nobody");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sender = NULL;
	g_auto(GStrv) globs = NULL;

	rc_auth_request_add_header(request, "Authorization", "Bearer t-alice");
	g_assert_true(auth_request(f, request, &sender, &globs, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(sender, ==, "alice");
	g_clear_pointer(&sender, g_free);

	/* the header wins over the query; the scheme is case-insensitive */
	rc_auth_request_add_header(lower, "authorization", "bearer t-bob");
	g_assert_true(auth_request(f, lower, &sender, &globs, &error));
	g_assert_cmpstr(sender, ==, "bob");
}

static void
test_refused(Fixture *f, gconstpointer data)
{
	g_autoptr(RcAuthRequest) basic = rc_ptest_request_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sender = NULL;
	g_auto(GStrv) globs = NULL;

	assert_refused(f, NULL, "a token is required (?token= or Authorization: Bearer)");
	assert_refused(f, "", "a token is required (?token= or Authorization: Bearer)");
	assert_refused(f, "t-mallory", "unknown token");
	/* no prefix or case games */
	assert_refused(f, "t-alic", "unknown token");
	assert_refused(f, "t-alicee", "unknown token");
	assert_refused(f, "T-ALICE", "unknown token");
	assert_refused(f, "alice", "unknown token");
	assert_refused(f, "#", "unknown token");

	/* another auth scheme is no token */
	rc_auth_request_add_header(basic, "Authorization", "Basic dC1hbGljZTo=");
	g_assert_false(auth_request(f, basic, &sender, &globs, &error));
	g_assert_error(error, RC_ERROR, RC_ERROR_UNAUTHORIZED);
	g_clear_error(&error);

	/* and the plugin keeps working after refusals */
	assert_accepted(f, "t-alice", "alice", NULL);
}

static void
test_room_globs(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sender = NULL;
	g_auto(GStrv) globs = NULL;
	gboolean team_red = FALSE, red_team = FALSE, ops = FALSE, ops2 = FALSE;

	g_assert_true(auth(f, "t-bob", &sender, &globs, &error));
	/* the globs as the core applies them to a roomCode */
	for (guint i = 0; globs[i] != NULL; i++) {
		team_red |= g_pattern_match_simple(globs[i], "team-red");
		red_team |= g_pattern_match_simple(globs[i], "red-team");
		ops |= g_pattern_match_simple(globs[i], "ops");
		ops2 |= g_pattern_match_simple(globs[i], "ops2");
	}
	g_assert_true(team_red);
	g_assert_false(red_team);
	g_assert_true(ops);
	g_assert_false(ops2);
}

static const gchar *malformed_file = "good-1 alice\n"
				     "lonely\n"
				     "bad-sender \x01x\n"
				     "bad-glob dave room/1\n"
				     "good-1 mallory\n"
				     "# a comment\n"
				     "good-2 erin lobby\n";

static void
test_malformed_lines(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *p2 = g_strdup_printf(
	    "%s:2: expected “TOKEN SENDER [ROOM_GLOB ...]”; line ignored", f->tokens);
	g_autofree gchar *p3 =
	    g_strdup_printf("%s:3: sender contains a control character; line ignored", f->tokens);
	g_autofree gchar *p4 =
	    g_strdup_printf("%s:4: room glob “room/1” may only hold *; line ignored", f->tokens);
	g_autofree gchar *p5 =
	    g_strdup_printf("%s:5: the same token is already on line 1; line ignored", f->tokens);

	/* each bad line is named by file:line and skipped; the good ones still work */
	rc_ptest_expect_warning("RcPluginAuthToken", p2);
	rc_ptest_expect_warning("RcPluginAuthToken", p3);
	rc_ptest_expect_warning("RcPluginAuthToken", p4);
	rc_ptest_expect_warning("RcPluginAuthToken", p5);
	f->host = load(f, &error);
	rc_ptest_assert_expected_warnings();
	g_assert_no_error(error);

	assert_accepted(f, "good-1", "alice", NULL);
	assert_accepted(f, "good-2", "erin", ((const gchar *[]){"lobby", NULL}));
	assert_refused(f, "lonely", "unknown token");
	assert_refused(f, "bad-sender", "unknown token");
	assert_refused(f, "bad-glob", "unknown token");
}

static void
test_empty_file(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *pattern = g_strdup_printf("%s: no usable token*", f->tokens);

	rc_ptest_expect_warning("RcPluginAuthToken", pattern);
	f->host = load(f, &error);
	rc_ptest_assert_expected_warnings();
	g_assert_no_error(error);
	assert_refused(f, "anything", "unknown token");
}

static void
test_startup_errors(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcPluginHost) host = NULL;

	host = rc_ptest_host_new(rc_ptest_plugin_dir(), "auth-token", "", &error);
	g_assert_null(host);
	g_assert_error(error, RC_ERROR, RC_ERROR_FAILED);
	g_assert_cmpstr(
	    error->message,
	    ==,
	    "plugin auth-token: cannot start: set “tokens” in [plugin:auth-token] to the "
	    "path of the token file");
	g_clear_error(&error);

	host = rc_ptest_host_new(rc_ptest_plugin_dir(),
				 "auth-token",
				 "[plugin:auth-token]\ntokens=/nonexistent/roomcast-tokens\n",
				 &error);
	g_assert_null(host);
	g_assert_error(error, RC_ERROR, RC_ERROR_FAILED);
	g_assert_true(g_str_has_prefix(
	    error->message, "plugin auth-token: cannot start: cannot read the token file: "));
	g_assert_nonnull(strstr(error->message, "/nonexistent/roomcast-tokens"));
}

static void
test_reload_rereads(Fixture *f, gconstpointer data)
{
	g_autoptr(GKeyFile) keyfile = g_key_file_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = rc_ptest_dir_write(f->dir, "tokens.txt", "t-new newbie\n");

	g_key_file_set_string(keyfile, "plugin:auth-token", "tokens", path);
	g_assert_true(rc_plugin_host_reload(f->host, keyfile, &error));
	g_assert_no_error(error);
	assert_accepted(f, "t-new", "newbie", NULL);
	assert_refused(f, "t-alice", "unknown token");
}

int
main(int argc, char **argv)
{
	rc_ptest_init(&argc, &argv);
	g_test_add("/auth-token/accepted",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_accepted,
		   fixture_tear_down);
	g_test_add("/auth-token/bearer-header",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_bearer_header,
		   fixture_tear_down);
	g_test_add(
	    "/auth-token/refused", Fixture, NULL, fixture_set_up, test_refused, fixture_tear_down);
	g_test_add("/auth-token/room-globs",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_room_globs,
		   fixture_tear_down);
	g_test_add("/auth-token/malformed-lines",
		   Fixture,
		   malformed_file,
		   fixture_set_up,
		   test_malformed_lines,
		   fixture_tear_down);
	g_test_add("/auth-token/empty-file",
		   Fixture,
		   "# nothing yet\n\n",
		   fixture_set_up,
		   test_empty_file,
		   fixture_tear_down);
	g_test_add_func("/auth-token/startup-errors", test_startup_errors);
	g_test_add("/auth-token/reload-rereads",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_reload_rereads,
		   fixture_tear_down);
	return g_test_run();
}
