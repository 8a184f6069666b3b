/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer entry for the Redis address parser: whatever it accepts must show
 * as an address that parses back to the same endpoint, with the password as
 * "***"; whatever it refuses gets one clear line; a password never leaks into
 * either.
 */
#include "config.h"

#include <string.h>

#include "bus/rc-redis-endpoint.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

/* No message or display string of the parser contains these raw (the display
 * string percent-escapes them), so a password holding one must not show. */
#define TELLTALE "^|!`{}"

static gboolean
has_telltale(const gchar *s)
{
	return s != NULL && strpbrk(s, TELLTALE) != NULL;
}

/* the raw text between the userinfo's ':' and the last '@' of a URL */
static gchar *
raw_password(const gchar *url)
{
	const gchar *start = strstr(url, "://");
	const gchar *at = strrchr(url, '@');
	const gchar *colon;

	if (start == NULL || at == NULL || at < start)
		return NULL;
	start += 3;
	colon = memchr(start, ':', at - start);
	if (colon == NULL)
		return NULL;
	return g_strndup(colon + 1, at - colon - 1);
}

static void
check_error(const GError *error, const gchar *secret)
{
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_assert_null(strchr(error->message, '\n'));
	g_assert_true(g_utf8_validate(error->message, -1, NULL));
	if (has_telltale(secret))
		g_assert_null(strstr(error->message, secret));
}

static void
check_endpoint(const RcRedisEndpoint *ep)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *display = rc_redis_endpoint_to_display_string(ep);
	g_autoptr(RcRedisEndpoint) again = NULL;
	g_autoptr(RcRedisEndpoint) copy = rc_redis_endpoint_copy(ep);

	g_assert_true((ep->host == NULL) != (ep->unix_path == NULL));
	g_assert_cmpuint(ep->db, <=, RC_REDIS_ENDPOINT_MAX_DB);
	if (ep->host != NULL)
		g_assert_cmpuint(ep->port, >, 0);
	else
		g_assert_true(ep->unix_path[0] == '/');
	g_assert_true(ep->password == NULL || ep->password[0] != '\0');
	g_assert_true(ep->username == NULL || ep->username[0] != '\0');
	if (has_telltale(ep->password))
		g_assert_null(strstr(display, ep->password));

	again = rc_redis_endpoint_parse(display, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(again->host, ==, ep->host);
	g_assert_cmpuint(again->port, ==, ep->port);
	g_assert_cmpstr(again->unix_path, ==, ep->unix_path);
	g_assert_cmpstr(again->username, ==, ep->username);
	g_assert_cmpstr(again->password, ==, ep->password != NULL ? "***" : NULL);
	g_assert_cmpuint(again->db, ==, ep->db);
	g_assert_cmpint(again->tls, ==, ep->tls);

	g_assert_cmpstr(copy->host, ==, ep->host);
	g_assert_cmpstr(copy->password, ==, ep->password);
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autofree gchar *url = NULL;
	g_autofree gchar *secret = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcRedisEndpoint) ep = NULL;
	g_autoptr(GPtrArray) list = NULL;

	/* a C string cannot hold a NUL: such an input is another input */
	if (memchr(data, '\0', size) != NULL)
		return 0;
	url = g_strndup((const gchar *)data, size);
	secret = raw_password(url);

	ep = rc_redis_endpoint_parse(url, &error);
	if (ep == NULL)
		check_error(error, secret);
	else
		check_endpoint(ep);
	g_clear_error(&error);

	list = rc_redis_endpoint_parse_list(url, &error);
	if (list == NULL) {
		check_error(error, strchr(url, ',') == NULL ? secret : NULL);
		/* what parses alone (so has no spaces to strip) parses as a list of one */
		g_assert_true(strchr(url, ',') != NULL || ep == NULL);
	} else {
		g_assert_cmpuint(list->len, >, 0);
		for (guint i = 0; i < list->len; i++)
			check_endpoint(g_ptr_array_index(list, i));
	}
	return 0;
}
