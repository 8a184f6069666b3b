/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The plugin host: what it refuses to load (and how it says so), and how it runs the
 * auth and filter hooks of what it loaded.
 */
#define G_LOG_DOMAIN "RcTestPluginHost"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "rc-error.h"
#include "rc-message.h"
#include "rc-plugin-test-util.h"

/* the daemon prints the message as its one line on stderr: it must be one line */
static void
assert_load_fails(const gchar *dir, const gchar *names, const gchar *config, const gchar *pattern)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcPluginHost) host = rc_ptest_host_new(dir, names, config, &error);

	g_assert_null(host);
	g_assert_error(error, RC_ERROR, RC_ERROR_FAILED);
	g_assert_null(strchr(error->message, '\n'));
	if (!g_pattern_match_simple(pattern, error->message))
		g_error("“%s” does not match “%s”", error->message, pattern);
}

static void
test_load_missing(void)
{
	assert_load_fails(rc_ptest_plugin_dir(),
			  "no-such-plugin",
			  "",
			  "plugin no-such-plugin: no-such-plugin.so not found in *");
}

static void
test_load_wrong_abi(void)
{
	g_autofree gchar *pattern =
	    g_strdup_printf("plugin wrong-abi: */wrong-abi.so was built for plugin ABI %d but this "
			    "roomcastd needs ABI %d; *",
			    RC_PLUGIN_ABI_VERSION + 1,
			    RC_PLUGIN_ABI_VERSION);

	assert_load_fails(rc_ptest_extra_plugin_dir(), "wrong-abi", "", pattern);
}

static void
test_load_no_entry(void)
{
	assert_load_fails(rc_ptest_extra_plugin_dir(),
			  "no-entry",
			  "",
			  "plugin no-entry: */no-entry.so is not a roomcast plugin (no "
			  "rc_plugin_get_info symbol)");
}

static void
test_load_misnamed(void)
{
	assert_load_fails(rc_ptest_extra_plugin_dir(),
			  "misnamed",
			  "",
			  "plugin misnamed: */misnamed.so declares itself as “something-else”");
}

static void
test_load_not_a_module(void)
{
	g_autoptr(RcPtestDir) dir = rc_ptest_dir_new();
	g_autofree gchar *path = rc_ptest_dir_write(dir, "garbage.so", "not an ELF file\n");

	g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	assert_load_fails(dir->path, "garbage", "", "plugin garbage: cannot load */garbage.so: *");
}

static void
test_load_startup_fails(void)
{
	assert_load_fails(rc_ptest_extra_plugin_dir(),
			  "test-gate",
			  "[plugin:test-gate]\nfail=true\n",
			  "plugin test-gate: cannot start: told to fail");
	/* a shipped plugin without its required setting */
	assert_load_fails(rc_ptest_plugin_dir(),
			  "auth-jwt",
			  "",
			  "plugin auth-jwt: cannot start: set “secret” in [plugin:auth-jwt] *");
}

static void
test_load_bad_names(void)
{
	assert_load_fails(
	    rc_ptest_plugin_dir(), "../auth-jwt", "", "plugin name “../auth-jwt” is not valid*");
	assert_load_fails(
	    rc_ptest_plugin_dir(), "auth jwt", "", "plugin name “auth jwt” is not valid*");
	assert_load_fails(rc_ptest_extra_plugin_dir(),
			  "test-gate;test-gate",
			  "",
			  "plugin test-gate: listed twice in [plugins] enabled");
}

static void
test_load_order_and_names(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcPluginHost) host = NULL;
	g_auto(GStrv) names = NULL;
	g_autoptr(RcPtestDir) dir = rc_ptest_dir_new();
	g_autofree gchar *words = rc_ptest_dir_write(dir, "words.txt", "darn\n");
	g_autofree gchar *config = g_strdup_printf("[plugin:filter-profanity]\nwords=%s\n", words);

	/* blanks and spaces around names, as "a; b;" in a config file gives them */
	host = rc_ptest_host_new(
	    rc_ptest_plugin_dir(), " filter-ratelimit;;filter-profanity ; ", config, &error);
	g_assert_no_error(error);
	names = rc_plugin_host_get_names(host);
	g_assert_cmpstrv(names, ((const gchar *[]){"filter-ratelimit", "filter-profanity", NULL}));
	g_assert_false(rc_plugin_host_has_auth(host));
}

/* several folders: each plugin comes from the first folder that has it */
static void
test_load_search_path(void)
{
	g_autoptr(RcPtestDir) empty = rc_ptest_dir_new();
	g_autoptr(RcPtestDir) shadow = rc_ptest_dir_new();
	g_autofree gchar *wrong_abi =
	    g_build_filename(rc_ptest_extra_plugin_dir(), "wrong-abi." G_MODULE_SUFFIX, NULL);
	g_autofree gchar *module = NULL;
	gsize len = 0;
	g_autofree gchar *copy = NULL;
	g_autofree gchar *pattern = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcPluginHost) host = rc_plugin_host_new();
	g_autoptr(RcPluginHost) shadowed = rc_plugin_host_new();
	g_autoptr(RcPluginHost) missing = rc_plugin_host_new();
	g_auto(GStrv) names = NULL;
	const gchar *found_later[] = {empty->path, rc_ptest_plugin_dir(), NULL};
	const gchar *shadow_first[] = {shadow->path, rc_ptest_plugin_dir(), NULL};
	const gchar *neither[] = {empty->path, shadow->path, NULL};
	const gchar *ratelimit[] = {"filter-ratelimit", NULL};
	const gchar *nope[] = {"no-such-plugin", NULL};

	/* not in the first folder: the next one has it */
	g_assert_true(rc_plugin_host_load(host, found_later, ratelimit, NULL, &error));
	g_assert_no_error(error);
	names = rc_plugin_host_get_names(host);
	g_assert_cmpstrv(names, ratelimit);

	/* a module of that name in an earlier folder wins over the later one, even a
	 * broken one: here a build for another ABI under the shipped plugin's name */
	g_file_get_contents(wrong_abi, &module, &len, &error);
	g_assert_no_error(error);
	copy = g_build_filename(shadow->path, "filter-ratelimit." G_MODULE_SUFFIX, NULL);
	g_file_set_contents(copy, module, (gssize)len, &error);
	g_assert_no_error(error);
	g_assert_false(rc_plugin_host_load(shadowed, shadow_first, ratelimit, NULL, &error));
	pattern = g_strdup_printf("plugin filter-ratelimit: %s was built for plugin ABI *", copy);
	if (!g_pattern_match_simple(pattern, error->message))
		g_error("“%s” does not match “%s”", error->message, pattern);
	g_clear_error(&error);

	/* nowhere: the message names every folder, in the order searched */
	g_assert_false(rc_plugin_host_load(missing, neither, nope, NULL, &error));
	g_clear_pointer(&pattern, g_free);
	pattern = g_strdup_printf("plugin no-such-plugin: no-such-plugin.%s not found in %s, %s",
				  G_MODULE_SUFFIX,
				  empty->path,
				  shadow->path);
	g_assert_cmpstr(error->message, ==, pattern);
}

static void
test_no_plugins(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcPluginHost) host = rc_ptest_host_new(rc_ptest_plugin_dir(), "", "", &error);
	g_autoptr(RcAuthRequest) request = rc_ptest_request_new(NULL);
	g_autofree gchar *sender = NULL;
	g_auto(GStrv) globs = NULL;
	g_autofree gchar *text = NULL;
	g_auto(GStrv) names = NULL;

	g_assert_no_error(error);
	names = rc_plugin_host_get_names(host);
	g_assert_cmpuint(g_strv_length(names), ==, 0);
	g_assert_false(rc_plugin_host_has_auth(host));
	/* no auth plugin: the core decides who the client is */
	g_assert_true(rc_plugin_host_authenticate_request(host, request, &sender, &globs, &error));
	g_assert_no_error(error);
	g_assert_null(sender);
	g_assert_null(globs);
	g_assert_true(rc_ptest_filter(host, "c1", "hello", &text, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(text, ==, "hello");
}

static RcPluginHost *
gate_host_new(const gchar *names, const gchar *config)
{
	g_autoptr(GError) error = NULL;
	RcPluginHost *host = rc_ptest_host_new(rc_ptest_extra_plugin_dir(), names, config, &error);

	g_assert_no_error(error);
	g_assert_nonnull(host);
	return host;
}

static gboolean
authenticate(RcPluginHost *host, const gchar *token, gchar **sender, GStrv *globs, GError **error)
{
	g_autoptr(RcAuthRequest) request = rc_ptest_request_new(token);

	return rc_plugin_host_authenticate_request(host, request, sender, globs, error);
}

static void
test_auth_results(void)
{
	g_autoptr(RcPluginHost) host = gate_host_new("test-gate", "");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sender = NULL;
	g_auto(GStrv) globs = NULL;

	g_assert_true(rc_plugin_host_has_auth(host));
	g_assert_true(authenticate(host, "ok-alice", &sender, &globs, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(sender, ==, "alice");
	g_assert_cmpstrv(globs, ((const gchar *[]){"gate-*", NULL}));
	g_clear_pointer(&sender, g_free);
	g_clear_pointer(&globs, g_strfreev);

	g_assert_false(authenticate(host, "nope", &sender, &globs, &error));
	g_assert_error(error, RC_ERROR, RC_ERROR_UNAUTHORIZED);
	g_assert_cmpstr(error->message, ==, "gate says no");
	g_assert_null(sender);
	g_assert_null(globs);
	g_clear_error(&error);

	g_assert_false(authenticate(host, "forbid", &sender, &globs, &error));
	g_assert_error(error, RC_ERROR, RC_ERROR_FORBIDDEN);
	g_assert_cmpstr(error->message, ==, "gate forbids");
	g_clear_error(&error);

	/* a buggy plugin that accepts without a sender never opens the door */
	rc_ptest_expect_warning("RcPluginHost",
				"plugin test-gate accepted a client without a valid sender*");
	g_assert_false(authenticate(host, "no-sender", &sender, &globs, &error));
	rc_ptest_assert_expected_warnings();
	g_assert_error(error, RC_ERROR, RC_ERROR_UNAUTHORIZED);
	g_assert_null(sender);
}

static void
test_auth_chain(void)
{
	g_autoptr(RcPtestDir) dir = rc_ptest_dir_new();
	g_autofree gchar *tokens = rc_ptest_dir_write(dir, "tokens", "tok-bob bob\n");
	g_autofree gchar *config = g_strdup_printf("[plugin:auth-token]\ntokens=%s\n", tokens);
	g_autoptr(RcPluginHost) host = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sender = NULL;
	g_auto(GStrv) globs = NULL;
	g_autofree gchar *gate =
	    g_build_filename(rc_ptest_extra_plugin_dir(), "test-gate.so", NULL);
	g_autofree gchar *token =
	    g_build_filename(rc_ptest_plugin_dir(), "auth-token", "auth-token.so", NULL);
	g_autofree gchar *gate_link = g_build_filename(dir->path, "test-gate.so", NULL);
	g_autofree gchar *token_link = g_build_filename(dir->path, "auth-token.so", NULL);

	/* one folder with both: the installed layout, flat */
	g_assert_true(g_file_test(gate, G_FILE_TEST_EXISTS));
	g_assert_cmpint(symlink(gate, gate_link), ==, 0);
	g_assert_cmpint(symlink(token, token_link), ==, 0);
	host = rc_ptest_host_new(dir->path, "test-gate;auth-token", config, &error);
	g_assert_no_error(error);

	/* refused by the first with 401, accepted by the second */
	g_assert_true(authenticate(host, "tok-bob", &sender, &globs, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(sender, ==, "bob");
	g_assert_null(globs);
	g_clear_pointer(&sender, g_free);

	/* the first that accepts wins */
	g_assert_true(authenticate(host, "ok-carol", &sender, &globs, &error));
	g_assert_cmpstr(sender, ==, "carol");
	g_clear_pointer(&sender, g_free);
	g_clear_pointer(&globs, g_strfreev);

	/* refused by all: every plugin's reason */
	g_assert_false(authenticate(host, "who", &sender, &globs, &error));
	g_assert_error(error, RC_ERROR, RC_ERROR_UNAUTHORIZED);
	g_assert_cmpstr(error->message, ==, "test-gate: gate says no; auth-token: unknown token");
	g_clear_error(&error);

	/* 403 is final */
	g_assert_false(authenticate(host, "forbid", &sender, &globs, &error));
	g_assert_error(error, RC_ERROR, RC_ERROR_FORBIDDEN);
}

static void
test_filter_results(void)
{
	g_autoptr(RcPluginHost) host = gate_host_new("test-gate", "[plugin:test-gate]\ntag=one\n");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;

	g_assert_true(rc_ptest_filter(host, "c1", "hi", &text, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(text, ==, "hi one");
	g_clear_pointer(&text, g_free);

	g_assert_false(rc_ptest_filter(host, "c1", "reject", &text, &error));
	g_assert_error(error, RC_ERROR, RC_ERROR_REJECTED);
	g_assert_cmpstr(error->message, ==, "gate rejects");
	g_assert_null(text);
	g_clear_error(&error);

	g_assert_false(rc_ptest_filter(host, NULL, "slow", &text, &error));
	g_assert_error(error, RC_ERROR, RC_ERROR_RATE_LIMITED);
	g_assert_cmpstr(error->message, ==, "gate throttles");
	g_clear_error(&error);

	/* still working after the refusals */
	g_assert_true(rc_ptest_filter(host, NULL, "again", &text, &error));
	g_assert_cmpstr(text, ==, "again one");
}

static void
test_connection_closed(void)
{
	g_autoptr(RcPluginHost) host = gate_host_new("test-gate", "");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = NULL;
	g_autofree gchar *after = NULL;

	g_assert_true(rc_ptest_filter(host, "c7", "closed?", &before, &error));
	rc_plugin_host_connection_closed(host, "c7");
	g_assert_true(rc_ptest_filter(host, "c7", "closed?", &after, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(before, ==, "no");
	g_assert_cmpstr(after, ==, "yes");
}

static void
test_reload(void)
{
	g_autoptr(RcPluginHost) host = gate_host_new("test-gate", "[plugin:test-gate]\ntag=one\n");
	g_autoptr(GKeyFile) two = g_key_file_new();
	g_autoptr(GKeyFile) bad = g_key_file_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	g_auto(GStrv) names = NULL;

	g_key_file_set_string(two, "plugin:test-gate", "tag", "two");
	g_assert_true(rc_plugin_host_reload(host, two, &error));
	g_assert_no_error(error);
	g_assert_true(rc_ptest_filter(host, "c1", "hi", &text, &error));
	g_assert_cmpstr(text, ==, "hi two");
	g_clear_pointer(&text, g_free);

	/* a failing reload keeps the running settings */
	g_key_file_set_boolean(bad, "plugin:test-gate", "fail", TRUE);
	g_assert_false(rc_plugin_host_reload(host, bad, &error));
	g_assert_error(error, RC_ERROR, RC_ERROR_FAILED);
	g_assert_cmpstr(error->message, ==, "plugin test-gate: cannot start: told to fail");
	g_clear_error(&error);
	g_assert_true(rc_ptest_filter(host, "c1", "hi", &text, &error));
	g_assert_cmpstr(text, ==, "hi two");
	names = rc_plugin_host_get_names(host);
	g_assert_cmpstrv(names, ((const gchar *[]){"test-gate", NULL}));
}

int
main(int argc, char **argv)
{
	rc_ptest_init(&argc, &argv);
	g_test_add_func("/plugin-host/load/missing", test_load_missing);
	g_test_add_func("/plugin-host/load/wrong-abi", test_load_wrong_abi);
	g_test_add_func("/plugin-host/load/no-entry-symbol", test_load_no_entry);
	g_test_add_func("/plugin-host/load/misnamed", test_load_misnamed);
	g_test_add_func("/plugin-host/load/not-a-module", test_load_not_a_module);
	g_test_add_func("/plugin-host/load/startup-fails", test_load_startup_fails);
	g_test_add_func("/plugin-host/load/bad-names", test_load_bad_names);
	g_test_add_func("/plugin-host/load/order-and-names", test_load_order_and_names);
	g_test_add_func("/plugin-host/load/search-path", test_load_search_path);
	g_test_add_func("/plugin-host/no-plugins", test_no_plugins);
	g_test_add_func("/plugin-host/auth/results", test_auth_results);
	g_test_add_func("/plugin-host/auth/chain", test_auth_chain);
	g_test_add_func("/plugin-host/filter/results", test_filter_results);
	g_test_add_func("/plugin-host/connection-closed", test_connection_closed);
	g_test_add_func("/plugin-host/reload", test_reload);
	return g_test_run();
}
