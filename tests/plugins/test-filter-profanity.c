/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * filter-profanity through the plugin host: whole words, any case, any script.
 */
#define G_LOG_DOMAIN "RcTestFilterProfanity"

#include "config.h"

#include "rc-error.h"
#include "rc-message.h"
#include "rc-plugin-test-util.h"

static const gchar *word_list = "\xef\xbb\xbf\n" /* a byte order mark alone: no word */
				"# words\n"
				"darn\n"
				"frak # a comment after the word\n"
				"  Heck \r\n"
				"\n"
				"straße\n"
				"ﬁddle\n"
				"café\n"
				"мат\n";

static RcPluginHost *
host_new(RcPtestDir *dir, const gchar *action)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *words = rc_ptest_dir_write(dir, "words.txt", word_list);
	g_autofree gchar *config = g_strdup_printf("[plugin:filter-profanity]\nwords=%s\n%s%s\n",
						   words,
						   action != NULL ? "action=" : "",
						   action != NULL ? action : "");
	RcPluginHost *host =
	    rc_ptest_host_new(rc_ptest_plugin_dir(), "filter-profanity", config, &error);

	g_assert_no_error(error);
	return host;
}

static void
assert_masked(RcPluginHost *host, const gchar *text, const gchar *expected)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;

	g_assert_true(rc_ptest_filter(host, "c1", text, &out, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(out, ==, expected);
	g_assert_true(g_utf8_validate(out, -1, NULL));
}

static void
test_mask(void)
{
	g_autoptr(RcPtestDir) dir = rc_ptest_dir_new();
	g_autoptr(RcPluginHost) host = host_new(dir, NULL); /* mask is the default */

	assert_masked(host, "oh darn it", "oh **** it");
	assert_masked(host, "DARN! Darn, dArN?", "****! ****, ****?");
	assert_masked(host, "heck", "****");
	/* whole words only */
	assert_masked(host, "darned darnit undarn heckle", "darned darnit undarn heckle");
	assert_masked(host, "darn_it darn-it 2darn", "darn_it ****-it 2darn");
	assert_masked(host, "nothing to see", "nothing to see");
	assert_masked(host, "", "");
}

static void
test_mask_utf8(void)
{
	g_autoptr(RcPtestDir) dir = rc_ptest_dir_new();
	g_autoptr(RcPluginHost) host = host_new(dir, "mask");

	/* one '*' per character, not per byte */
	assert_masked(host, "мат!", "***!");
	assert_masked(host, "МАТ и мать", "*** и мать");
	/* case folding beyond ASCII: ß folds to ss */
	assert_masked(host, "STRASSE straße", "******* ******");
	/* the list's "ﬁ" ligature and the message's "fi" are the same word */
	assert_masked(host, "fiddle ﬁddle", "****** *****");
	/* é precomposed and as e + combining accent */
	assert_masked(host, "café cafe\xcc\x81 cafes", "**** **** cafes");
	/* invisible characters inside a word do not hide it, nor count as one */
	assert_masked(host, "da\xe2\x80\x8b" "rn d\xe2\x80\x8d" "arn", "**** ****");
	assert_masked(host, "da\xc2\xadrn \xef\xbb\xbf" "darn", "**** ****");
	/* invisible characters on their own are no word, listed or not */
	assert_masked(host, "a \xe2\x80\x8d b \xef\xbb\xbf", "a \xe2\x80\x8d b \xef\xbb\xbf");
	/* a comment after a word of the list leaves the word */
	assert_masked(host, "frak frakked", "**** frakked");
	/* the neighbours of a match are untouched, whatever their script */
	assert_masked(host, "日本darn語 😀darn😀", "日本darn語 😀****😀");
}

static void
test_reject(void)
{
	g_autoptr(RcPtestDir) dir = rc_ptest_dir_new();
	g_autoptr(RcPluginHost) host = host_new(dir, "reject");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;

	g_assert_false(rc_ptest_filter(host, "c1", "well DARN", &out, &error));
	g_assert_error(error, RC_ERROR, RC_ERROR_REJECTED);
	g_assert_cmpstr(error->message, ==, "the message contains a word that is not allowed");
	g_assert_null(out);
	g_clear_error(&error);

	/* HTTP and D-Bus messages go through filters too */
	g_assert_false(rc_ptest_filter(host, NULL, "мат", &out, &error));
	g_assert_error(error, RC_ERROR, RC_ERROR_REJECTED);
	g_clear_error(&error);

	/* a clean message after a rejected one passes untouched */
	assert_masked(host, "darned fine", "darned fine");
}

static void
test_bad_settings(void)
{
	g_autoptr(RcPtestDir) dir = rc_ptest_dir_new();
	g_autofree gchar *words = rc_ptest_dir_write(dir, "words.txt", "darn\n");
	g_autofree gchar *bad_action =
	    g_strdup_printf("[plugin:filter-profanity]\nwords=%s\naction=scream\n", words);
	g_autofree gchar *latin1 = rc_ptest_dir_write(dir,
						      "latin1.txt",
						      "stra\xdf"
						      "e\n");
	g_autofree gchar *bad_file =
	    g_strdup_printf("[plugin:filter-profanity]\nwords=%s\n", latin1);
	g_autofree gchar *utf8_error =
	    g_strdup_printf("plugin filter-profanity: cannot start: cannot read the word list: %s "
			    "is not valid UTF-8",
			    latin1);
	const struct {
		const gchar *config;
		const gchar *message;
	} cases[] = {
	    {"",
	     "plugin filter-profanity: cannot start: set “words” in [plugin:filter-profanity] "
	     "to the path of the word list"},
	    {bad_action,
	     "plugin filter-profanity: cannot start: “action” in [plugin:filter-profanity] must be "
	     "“mask” or “reject”, not “scream”"},
	    {bad_file, utf8_error},
	    {"[plugin:filter-profanity]\nwords=/nonexistent/words\n", NULL},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(RcPluginHost) host = rc_ptest_host_new(
		    rc_ptest_plugin_dir(), "filter-profanity", cases[i].config, &error);

		g_assert_null(host);
		g_assert_error(error, RC_ERROR, RC_ERROR_FAILED);
		if (cases[i].message != NULL)
			g_assert_cmpstr(error->message, ==, cases[i].message);
		else
			g_assert_true(g_str_has_prefix(
			    error->message,
			    "plugin filter-profanity: cannot start: cannot read the word list: "));
	}
}

static void
test_phrase_ignored(void)
{
	g_autoptr(RcPtestDir) dir = rc_ptest_dir_new();
	g_autofree gchar *words = rc_ptest_dir_write(dir, "words.txt", "darn\nbad word\n");
	g_autofree gchar *config = g_strdup_printf("[plugin:filter-profanity]\nwords=%s\n", words);
	g_autofree gchar *pattern =
	    g_strdup_printf("%s:2: “bad word” is not a single word*", words);
	g_autoptr(RcPluginHost) host = NULL;
	g_autoptr(GError) error = NULL;

	rc_ptest_expect_warning("RcPluginFilterProfanity", pattern);
	host = rc_ptest_host_new(rc_ptest_plugin_dir(), "filter-profanity", config, &error);
	rc_ptest_assert_expected_warnings();
	g_assert_no_error(error);
	assert_masked(host, "darn bad word", "**** bad word");
}

int
main(int argc, char **argv)
{
	rc_ptest_init(&argc, &argv);
	g_test_add_func("/filter-profanity/mask", test_mask);
	g_test_add_func("/filter-profanity/mask-utf8", test_mask_utf8);
	g_test_add_func("/filter-profanity/reject", test_reject);
	g_test_add_func("/filter-profanity/bad-settings", test_bad_settings);
	g_test_add_func("/filter-profanity/phrase-ignored", test_phrase_ignored);
	return g_test_run();
}
