/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPluginTest"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "rc-error.h"
#include "rc-message.h"
#include "rc-plugin-test-util.h"

typedef struct {
	gchar *domain;
	gchar *pattern;
} RcExpectedWarning;

static GQueue expected_warnings = G_QUEUE_INIT;

static const gchar *
rc_ptest_log_field(const GLogField *fields, gsize n_fields, const gchar *key)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, key) == 0)
			return fields[i].length < 0 ? fields[i].value : NULL;
	}
	return NULL;
}

static GLogWriterOutput
rc_ptest_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
	RcExpectedWarning *expected = g_queue_peek_head(&expected_warnings);

	if (expected != NULL && (level & G_LOG_LEVEL_WARNING) != 0) {
		const gchar *domain = rc_ptest_log_field(fields, n_fields, "GLIB_DOMAIN");
		const gchar *message = rc_ptest_log_field(fields, n_fields, "MESSAGE");

		if (g_strcmp0(domain, expected->domain) == 0 && message != NULL &&
		    g_pattern_match_simple(expected->pattern, message)) {
			g_queue_pop_head(&expected_warnings);
			g_free(expected->domain);
			g_free(expected->pattern);
			g_free(expected);
			return G_LOG_WRITER_HANDLED;
		}
		g_test_message("expected %s warning “%s”, got %s “%s”",
			       expected->domain,
			       expected->pattern,
			       domain,
			       message);
	}
	return g_log_writer_default(level, fields, n_fields, data);
}

void
rc_ptest_init(int *argc, char ***argv)
{
	g_log_set_writer_func(rc_ptest_log_writer, NULL, NULL);
	g_test_init(argc, argv, NULL);
}

void
rc_ptest_expect_warning(const gchar *domain, const gchar *pattern)
{
	RcExpectedWarning *expected = g_new0(RcExpectedWarning, 1);

	expected->domain = g_strdup(domain);
	expected->pattern = g_strdup(pattern);
	g_queue_push_tail(&expected_warnings, expected);
}

void
rc_ptest_assert_expected_warnings(void)
{
	RcExpectedWarning *expected = g_queue_peek_head(&expected_warnings);

	if (expected != NULL)
		g_error("did not see the expected %s warning “%s”",
			expected->domain,
			expected->pattern);
}

RcPtestDir *
rc_ptest_dir_new(void)
{
	g_autoptr(GError) error = NULL;
	RcPtestDir *dir = g_new0(RcPtestDir, 1);

	dir->path = g_dir_make_tmp("roomcast-plugin-test-XXXXXX", &error);
	g_assert_no_error(error);
	return dir;
}

void
rc_ptest_dir_free(RcPtestDir *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir->path, 0, NULL);
	const gchar *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = g_build_filename(dir->path, name, NULL);
		g_unlink(path);
	}
	g_rmdir(dir->path);
	g_free(dir->path);
	g_free(dir);
}

gchar *
rc_ptest_dir_write(RcPtestDir *dir, const gchar *name, const gchar *contents)
{
	g_autoptr(GError) error = NULL;
	gchar *path = g_build_filename(dir->path, name, NULL);

	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
	return path;
}

const gchar *
rc_ptest_plugin_dir(void)
{
	const gchar *dir = g_getenv("RC_TEST_PLUGIN_DIR");

	return dir != NULL ? dir : RC_BUILD_PLUGINDIR;
}

const gchar *
rc_ptest_extra_plugin_dir(void)
{
	const gchar *dir = g_getenv("RC_TEST_EXTRA_PLUGIN_DIR");

	g_assert_nonnull(dir);
	return dir;
}

RcPluginHost *
rc_ptest_host_new(const gchar *dir, const gchar *names, const gchar *config, GError **error)
{
	g_autoptr(RcPluginHost) host = rc_plugin_host_new();
	g_autoptr(GKeyFile) keyfile = g_key_file_new();
	g_autoptr(GError) local = NULL;
	g_auto(GStrv) list = g_strsplit(names, ";", -1);
	const gchar *dirs[] = {dir, NULL};

	g_key_file_load_from_data(keyfile, config, -1, G_KEY_FILE_NONE, &local);
	g_assert_no_error(local);
	if (!rc_plugin_host_load(host, dirs, (const gchar *const *)list, keyfile, error))
		return NULL;
	return g_steal_pointer(&host);
}

RcAuthRequest *
rc_ptest_request_new(const gchar *token)
{
	RcAuthRequest *request = rc_auth_request_new("127.0.0.1:40000");

	rc_auth_request_add_header(request, "Host", "127.0.0.1:8080");
	if (token != NULL)
		rc_auth_request_add_query_param(request, "token", token);
	return request;
}

gboolean
rc_ptest_filter(
    RcPluginHost *host, const gchar *connection_id, const gchar *text, gchar **out, GError **error)
{
	g_autofree gchar *copy = g_strdup(text);

	if (!rc_plugin_host_filter(host,
				   connection_id != NULL ? RC_SOURCE_WEBSOCKET : RC_SOURCE_HTTP,
				   connection_id,
				   "/",
				   "room_1",
				   "alice",
				   &copy,
				   error))
		return FALSE;
	if (out != NULL)
		*out = g_steal_pointer(&copy);
	return TRUE;
}

gchar *
rc_ptest_base64url(const guint8 *data, gsize len)
{
	gchar *out = g_base64_encode(data, len);

	g_strdelimit(out, "+", '-');
	g_strdelimit(out, "/", '_');
	g_strdelimit(out, "=", '\0');
	return out;
}

gchar *
rc_ptest_sign_jwt_parts(const gchar *header64, const gchar *payload64, const gchar *secret)
{
	g_autofree gchar *input = g_strdup_printf("%s.%s", header64, payload64);
	g_autoptr(GHmac) hmac =
	    g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)secret, strlen(secret));
	guint8 digest[32];
	gsize len = sizeof(digest);
	g_autofree gchar *sig = NULL;

	g_hmac_update(hmac, (const guchar *)input, -1);
	g_hmac_get_digest(hmac, digest, &len);
	sig = rc_ptest_base64url(digest, len);
	return g_strdup_printf("%s.%s", input, sig);
}

gchar *
rc_ptest_make_jwt(const gchar *header, const gchar *payload, const gchar *secret)
{
	g_autofree gchar *h = rc_ptest_base64url((const guint8 *)header, strlen(header));
	g_autofree gchar *p = rc_ptest_base64url((const guint8 *)payload, strlen(payload));

	return rc_ptest_sign_jwt_parts(h, p, secret);
}
