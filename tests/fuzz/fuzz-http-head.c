/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer entry for the request-head check that runs before libsoup: it never
 * reads past what it was given, a verdict never changes when more bytes come
 * after a complete head, and a head it passes has only lengths libsoup reads
 * without harm.
 */
#include "config.h"

#include <string.h>

#include "transport/rc-http.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

#define MAX_HEAD 4096

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	/* a copy of exactly @size bytes, so reading past it is caught */
	g_autofree gchar *copy = g_memdup2(data, size);
	g_autofree gchar *path = NULL;
	g_autoptr(GError) error = NULL;
	guint status = 0;
	RcHttpHeadResult result =
	    rc_http_check_head(copy, size, MAX_HEAD, &path, &status, &error);

	switch (result) {
	case RC_HTTP_HEAD_BAD:
		g_assert_nonnull(error);
		g_assert_true(status == 400 || status == 431 || status == 501);
		g_assert_true(g_utf8_validate(error->message, -1, NULL));
		break;
	case RC_HTTP_HEAD_INCOMPLETE:
		g_assert_null(error);
		g_assert_cmpuint(size, <, MAX_HEAD);
		break;
	case RC_HTTP_HEAD_OK: {
		/* more bytes behind a complete head change nothing */
		g_autofree gchar *longer = g_malloc(size + 8);
		g_autofree gchar *path2 = NULL;
		g_autoptr(GError) error2 = NULL;
		guint status2 = 0;
		g_assert_null(error);
		memcpy(longer, data, size);
		memcpy(longer + size, "\r\nX: 1\r\n", 8);
		g_assert_cmpint(rc_http_check_head(longer, size + 8, MAX_HEAD + 8, &path2, &status2, &error2),
				==,
				RC_HTTP_HEAD_OK);
		g_assert_cmpstr(path, ==, path2);
		break;
	}
	}
	return 0;
}
