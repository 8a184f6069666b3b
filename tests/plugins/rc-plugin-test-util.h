/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "plugins/rc-plugin-host.h"

G_BEGIN_DECLS

/* The project logs with G_LOG_USE_STRUCTURED, which g_test_expect_message() does not
 * see; these do. Call rc_ptest_init() instead of g_test_init(). An unexpected warning
 * still aborts the test. */
void rc_ptest_init(int *argc, char ***argv);
void rc_ptest_expect_warning(const gchar *domain, const gchar *pattern);
void rc_ptest_assert_expected_warnings(void);

/* A temporary folder that is removed with everything in it when freed. */
typedef struct {
	gchar *path;
} RcPtestDir;

RcPtestDir *rc_ptest_dir_new(void);
void rc_ptest_dir_free(RcPtestDir *dir);
/* writes @contents to DIR/@name and returns the full path (transfer full) */
gchar *rc_ptest_dir_write(RcPtestDir *dir, const gchar *name, const gchar *contents);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcPtestDir, rc_ptest_dir_free)

/* the folders the shipped and the test-only plugins are built into */
const gchar *rc_ptest_plugin_dir(void);
const gchar *rc_ptest_extra_plugin_dir(void);

/* Loads the ;-separated @names from @dir with @config (a GKeyFile text); NULL with
 * @error set when loading fails. */
RcPluginHost *
rc_ptest_host_new(const gchar *dir, const gchar *names, const gchar *config, GError **error);

/* An upgrade request; @token goes into ?token= unless NULL */
RcAuthRequest *rc_ptest_request_new(const gchar *token);

/* rc_plugin_host_filter() on a WebSocket message of @connection_id (HTTP when NULL) */
gboolean rc_ptest_filter(
    RcPluginHost *host, const gchar *connection_id, const gchar *text, gchar **out, GError **error);

/* A JWT: base64url(@header).base64url(@payload) signed HS256 with @secret */
gchar *rc_ptest_make_jwt(const gchar *header, const gchar *payload, const gchar *secret);
/* the same over parts already encoded, so that tests can encode them wrongly */
gchar *rc_ptest_sign_jwt_parts(const gchar *header64, const gchar *payload64, const gchar *secret);
gchar *rc_ptest_base64url(const guint8 *data, gsize len);

G_END_DECLS
