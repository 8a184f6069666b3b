/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Redis URLs, parsed by hand: GUri would put a password with an unescaped '@'
 * or '/' into the host and then into an error message, and it knows neither
 * bare HOST:PORT seeds nor unix: URLs with a query. Every error message here
 * is built from pieces that cannot hold the password (the userinfo ends at the
 * last '@', and nothing before it is ever quoted).
 */
#define G_LOG_DOMAIN "RcRedisEndpoint"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

#include "bus/rc-redis-endpoint.h"

G_DEFINE_BOXED_TYPE(RcRedisEndpoint,
		    rc_redis_endpoint,
		    rc_redis_endpoint_copy,
		    rc_redis_endpoint_free)

RcRedisEndpoint *
rc_redis_endpoint_new(void)
{
	RcRedisEndpoint *ep = g_new0(RcRedisEndpoint, 1);
	ep->host = g_strdup("localhost");
	ep->port = RC_REDIS_ENDPOINT_DEFAULT_PORT;
	return ep;
}

RcRedisEndpoint *
rc_redis_endpoint_copy(const RcRedisEndpoint *ep)
{
	RcRedisEndpoint *copy;

	g_return_val_if_fail(ep != NULL, NULL);
	copy = g_new0(RcRedisEndpoint, 1);
	*copy = *ep;
	copy->host = g_strdup(ep->host);
	copy->unix_path = g_strdup(ep->unix_path);
	copy->username = g_strdup(ep->username);
	copy->password = g_strdup(ep->password);
	copy->tls_ca_file = g_strdup(ep->tls_ca_file);
	copy->tls_cert_file = g_strdup(ep->tls_cert_file);
	copy->tls_key_file = g_strdup(ep->tls_key_file);
	return copy;
}

/* a secret should not linger in freed heap memory (core dumps, reuse) */
static void
rc_redis_secret_free(gchar *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, strlen(secret));
	g_free(secret);
}

void
rc_redis_endpoint_free(RcRedisEndpoint *ep)
{
	if (ep == NULL)
		return;
	g_free(ep->host);
	g_free(ep->unix_path);
	g_free(ep->username);
	rc_redis_secret_free(ep->password);
	g_free(ep->tls_ca_file);
	g_free(ep->tls_cert_file);
	g_free(ep->tls_key_file);
	g_free(ep);
}

void
rc_redis_endpoint_set_password(RcRedisEndpoint *ep, const gchar *password)
{
	g_return_if_fail(ep != NULL);
	if (ep->password == password)
		return;
	rc_redis_secret_free(ep->password);
	ep->password = password != NULL && password[0] != '\0' ? g_strdup(password) : NULL;
}

static void G_GNUC_PRINTF(2, 3)
    rc_redis_endpoint_set_error(GError **error, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *detail = NULL;

	va_start(args, format);
	detail = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(
	    error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Invalid Redis address: %s"), detail);
}

/* Decodes [start, end); @what names the part for the error ("the password"). */
static gchar *
rc_redis_decode(const gchar *start, const gchar *end, const gchar *what, GError **error)
{
	gchar *decoded = g_uri_unescape_segment(start, end, NULL);

	if (decoded != NULL)
		return decoded;
	/* GLib refuses both; say which, without quoting the text */
	if (g_strstr_len(start, end - start, "%00") != NULL)
		rc_redis_endpoint_set_error(error, _("%s contains an escaped NUL byte"), what);
	else
		rc_redis_endpoint_set_error(
		    error,
		    _("%s has an invalid percent-escape (%% must be followed "
		      "by two hex digits)"),
		    what);
	return NULL;
}

static gboolean
rc_redis_all_digits(const gchar *start, const gchar *end)
{
	if (start == end)
		return FALSE;
	for (const gchar *p = start; p < end; p++) {
		if (!g_ascii_isdigit(*p))
			return FALSE;
	}
	return TRUE;
}

/* Only a short run of digits is quoted back: anything else might be a secret
 * typed in the wrong place. */
static gboolean
rc_redis_parse_port(const gchar *start, const gchar *end, guint16 *port, GError **error)
{
	guint64 v = 0;
	g_autofree gchar *text = g_strndup(start, end - start);

	if (start == end) {
		rc_redis_endpoint_set_error(error, _("the port after “:” is empty"));
		return FALSE;
	}
	if (!rc_redis_all_digits(start, end)) {
		rc_redis_endpoint_set_error(error, _("the port is not a number"));
		return FALSE;
	}
	if (end - start > 10) {
		rc_redis_endpoint_set_error(error, _("the port is out of range (1–65535)"));
		return FALSE;
	}
	if (!g_ascii_string_to_unsigned(text, 10, 1, 65535, &v, NULL)) {
		rc_redis_endpoint_set_error(error, _("port %s is out of range (1–65535)"), text);
		return FALSE;
	}
	*port = (guint16)v;
	return TRUE;
}

static gboolean
rc_redis_parse_db(const gchar *start, const gchar *end, guint *db, GError **error)
{
	guint64 v = 0;
	g_autofree gchar *text = g_strndup(start, end - start);

	if (!rc_redis_all_digits(start, end)) {
		rc_redis_endpoint_set_error(error, _("the database is not a number (0–15)"));
		return FALSE;
	}
	if (end - start > 10) {
		rc_redis_endpoint_set_error(error, _("the database is out of range (0–15)"));
		return FALSE;
	}
	if (!g_ascii_string_to_unsigned(text, 10, 0, RC_REDIS_ENDPOINT_MAX_DB, &v, NULL)) {
		rc_redis_endpoint_set_error(error, _("database %s is out of range (0–15)"), text);
		return FALSE;
	}
	*db = (guint)v;
	return TRUE;
}

static gboolean
rc_redis_host_char_ok(gchar c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '.' || c == '_';
}

/*
 * HOST[:PORT] or [IPv6][:PORT] in [start, end). @need_port for bare seeds.
 * Sets ep->host and ep->port.
 */
static gboolean
rc_redis_parse_hostport(
    RcRedisEndpoint *ep, const gchar *start, const gchar *end, gboolean need_port, GError **error)
{
	const gchar *host_end;
	const gchar *p;
	g_autofree gchar *host = NULL;

	if (start == end) {
		rc_redis_endpoint_set_error(error, _("the host is empty"));
		return FALSE;
	}
	if (*start == '[') {
		const gchar *close = memchr(start, ']', end - start);
		if (close == NULL) {
			rc_redis_endpoint_set_error(error,
						    _("“[” without “]” around an IPv6 address"));
			return FALSE;
		}
		host = g_strndup(start + 1, close - start - 1);
		if (strchr(host, ':') == NULL || !g_hostname_is_ip_address(host)) {
			rc_redis_endpoint_set_error(error,
						    _("not an IPv6 address between “[” and “]”"));
			return FALSE;
		}
		p = close + 1;
		if (p < end && *p != ':') {
			rc_redis_endpoint_set_error(error,
						    _("unexpected text after the IPv6 address"));
			return FALSE;
		}
	} else {
		host_end = memchr(start, ':', end - start);
		if (host_end == NULL)
			host_end = end;
		if (host_end < end && memchr(host_end + 1, ':', end - host_end - 1) != NULL) {
			rc_redis_endpoint_set_error(
			    error,
			    _("an IPv6 address must be written in brackets, "
			      "as [::1]:6379"));
			return FALSE;
		}
		if (host_end == start) {
			rc_redis_endpoint_set_error(error, _("the host is empty"));
			return FALSE;
		}
		for (p = start; p < host_end; p++) {
			if (!rc_redis_host_char_ok(*p)) {
				if (*p == '?' || *p == '#')
					rc_redis_endpoint_set_error(
					    error,
					    _("“%c” is not allowed here (only unix: URLs take "
					      "parameters)"),
					    *p);
				else
					rc_redis_endpoint_set_error(
					    error, _("the host contains an invalid character"));
				return FALSE;
			}
		}
		host = g_strndup(start, host_end - start);
		p = host_end;
	}
	/* p is at ':' or end */
	if (p < end) {
		if (!rc_redis_parse_port(p + 1, end, &ep->port, error))
			return FALSE;
	} else if (need_port) {
		rc_redis_endpoint_set_error(error,
					    _("expected HOST:PORT or a redis://, rediss:// or "
					      "unix: URL"));
		return FALSE;
	}
	g_free(ep->host);
	ep->host = g_steal_pointer(&host);
	return TRUE;
}

/* USER[:PASSWORD] in [start, end) */
static gboolean
rc_redis_parse_userinfo(RcRedisEndpoint *ep, const gchar *start, const gchar *end, GError **error)
{
	const gchar *colon = memchr(start, ':', end - start);
	const gchar *user_end = colon != NULL ? colon : end;
	g_autofree gchar *user = rc_redis_decode(start, user_end, _("the user name"), error);
	gchar *password = NULL;

	if (user == NULL)
		return FALSE;
	if (colon != NULL) {
		password = rc_redis_decode(colon + 1, end, _("the password"), error);
		if (password == NULL)
			return FALSE;
	}
	g_free(ep->username);
	ep->username = user[0] != '\0' ? g_steal_pointer(&user) : NULL;
	rc_redis_secret_free(ep->password);
	ep->password = password;
	if (password != NULL && password[0] == '\0') {
		rc_redis_secret_free(g_steal_pointer(&ep->password));
	}
	return TRUE;
}

/* after "redis://" or "rediss://" */
static gboolean
rc_redis_parse_tcp_url(RcRedisEndpoint *ep, const gchar *rest, GError **error)
{
	/* a password may hold '@' or '/' unescaped: the userinfo ends at the last '@' */
	const gchar *at = strrchr(rest, '@');
	const gchar *hostpart = rest;
	const gchar *end;
	const gchar *slash;
	const gchar *close;

	if (at != NULL) {
		if (!rc_redis_parse_userinfo(ep, rest, at, error))
			return FALSE;
		hostpart = at + 1;
	}
	end = hostpart + strlen(hostpart);
	/* the '/' of the database comes after an IPv6 address' brackets */
	close = hostpart[0] == '[' ? strchr(hostpart, ']') : NULL;
	slash = strchr(close != NULL ? close : hostpart, '/');
	if (!rc_redis_parse_hostport(ep, hostpart, slash != NULL ? slash : end, FALSE, error))
		return FALSE;
	if (slash != NULL && slash + 1 < end) {
		if (!rc_redis_parse_db(slash + 1, end, &ep->db, error))
			return FALSE;
	}
	return TRUE;
}

/* after "unix:" */
static gboolean
rc_redis_parse_unix_url(RcRedisEndpoint *ep, const gchar *rest, GError **error)
{
	const gchar *query;
	g_autofree gchar *path = NULL;
	gboolean seen_user = FALSE, seen_password = FALSE, seen_db = FALSE;

	if (g_str_has_prefix(rest, "//")) {
		rest += 2;
		if (rest[0] != '/') {
			rc_redis_endpoint_set_error(
			    error, _("unix: URLs take no host (write unix:///path)"));
			return FALSE;
		}
	}
	query = strchr(rest, '?');
	if (rest[0] != '/') {
		rc_redis_endpoint_set_error(error, _("unix: needs an absolute socket path"));
		return FALSE;
	}
	path = rc_redis_decode(rest, query, _("the socket path"), error);
	if (path == NULL)
		return FALSE;
	if (path[1] == '\0') {
		rc_redis_endpoint_set_error(error, _("unix: needs an absolute socket path"));
		return FALSE;
	}
	if (query != NULL) {
		const gchar *p = query + 1;
		/* never quote a parameter: with a stray '&' it could be part of a password */
		while (TRUE) {
			const gchar *amp = strchr(p, '&');
			const gchar *pend = amp != NULL ? amp : p + strlen(p);
			const gchar *eq = memchr(p, '=', pend - p);
			gsize klen;

			if (eq == NULL) {
				rc_redis_endpoint_set_error(error,
							    _("a parameter without “=” (expected "
							      "user=, password= or db=)"));
				return FALSE;
			}
			klen = eq - p;
			if (klen == 4 && strncmp(p, "user", 4) == 0 && !seen_user) {
				g_autofree gchar *user =
				    rc_redis_decode(eq + 1, pend, _("the user name"), error);
				if (user == NULL)
					return FALSE;
				g_free(ep->username);
				ep->username = user[0] != '\0' ? g_steal_pointer(&user) : NULL;
				seen_user = TRUE;
			} else if (klen == 8 && strncmp(p, "password", 8) == 0 && !seen_password) {
				gchar *password =
				    rc_redis_decode(eq + 1, pend, _("the password"), error);
				if (password == NULL)
					return FALSE;
				rc_redis_secret_free(ep->password);
				ep->password = password;
				if (password[0] == '\0')
					rc_redis_secret_free(g_steal_pointer(&ep->password));
				seen_password = TRUE;
			} else if (klen == 2 && strncmp(p, "db", 2) == 0 && !seen_db) {
				if (!rc_redis_parse_db(eq + 1, pend, &ep->db, error))
					return FALSE;
				seen_db = TRUE;
			} else if ((klen == 4 && strncmp(p, "user", 4) == 0) ||
				   (klen == 8 && strncmp(p, "password", 8) == 0) ||
				   (klen == 2 && strncmp(p, "db", 2) == 0)) {
				rc_redis_endpoint_set_error(error, _("a parameter is given twice"));
				return FALSE;
			} else {
				rc_redis_endpoint_set_error(
				    error,
				    _("an unknown parameter (expected user=, password= or db=)"));
				return FALSE;
			}
			if (amp == NULL)
				break;
			p = amp + 1;
		}
	}
	g_clear_pointer(&ep->host, g_free);
	ep->port = 0;
	ep->unix_path = g_steal_pointer(&path);
	return TRUE;
}

static gboolean
rc_redis_has_prefix_nocase(const gchar *s, const gchar *prefix)
{
	return g_ascii_strncasecmp(s, prefix, strlen(prefix)) == 0;
}

RcRedisEndpoint *
rc_redis_endpoint_parse(const gchar *url, GError **error)
{
	g_autoptr(RcRedisEndpoint) ep = rc_redis_endpoint_new();
	const gchar *sep;
	gboolean ok;

	g_return_val_if_fail(url != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (url[0] == '\0') {
		rc_redis_endpoint_set_error(error, _("the address is empty"));
		return NULL;
	}
	for (const gchar *p = url; *p != '\0'; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f || *p == ' ') {
			rc_redis_endpoint_set_error(
			    error, _("the address contains spaces or control characters"));
			return NULL;
		}
	}
	if (rc_redis_has_prefix_nocase(url, "redis://")) {
		ok = rc_redis_parse_tcp_url(ep, url + strlen("redis://"), error);
	} else if (rc_redis_has_prefix_nocase(url, "rediss://")) {
		ep->tls = TRUE;
		ok = rc_redis_parse_tcp_url(ep, url + strlen("rediss://"), error);
	} else if (rc_redis_has_prefix_nocase(url, "unix:")) {
		ok = rc_redis_parse_unix_url(ep, url + strlen("unix:"), error);
	} else if ((sep = strstr(url, "://")) != NULL) {
		g_autofree gchar *scheme = g_strndup(url, sep - url);
		gboolean quotable =
		    scheme[0] != '\0' && strlen(scheme) <= 16 && g_ascii_isalpha(scheme[0]);
		for (const gchar *p = scheme; quotable && *p != '\0'; p++)
			quotable = g_ascii_isalnum(*p) || *p == '+' || *p == '-' || *p == '.';
		if (quotable)
			rc_redis_endpoint_set_error(
			    error,
			    _("unknown scheme “%s” (expected redis://, rediss:// or unix:)"),
			    scheme);
		else
			rc_redis_endpoint_set_error(
			    error, _("unknown scheme (expected redis://, rediss:// or unix:)"));
		ok = FALSE;
	} else if (strpbrk(url, "@/?#") != NULL) {
		rc_redis_endpoint_set_error(error,
					    _("expected HOST:PORT or a redis://, rediss:// or "
					      "unix: URL"));
		ok = FALSE;
	} else {
		ok = rc_redis_parse_hostport(ep, url, url + strlen(url), TRUE, error);
	}
	if (!ok)
		return NULL;
	return g_steal_pointer(&ep);
}

gchar *
rc_redis_endpoint_to_display_string(const RcRedisEndpoint *ep)
{
	GString *out = g_string_new(NULL);

	g_return_val_if_fail(ep != NULL, NULL);

	if (ep->unix_path != NULL) {
		g_autofree gchar *path = g_uri_escape_string(ep->unix_path, "/", FALSE);
		const gchar *sep = "?";

		g_string_append_printf(out, "unix://%s", path);
		if (ep->username != NULL) {
			g_autofree gchar *user = g_uri_escape_string(ep->username, NULL, FALSE);
			g_string_append_printf(out, "%suser=%s", sep, user);
			sep = "&";
		}
		if (ep->password != NULL) {
			g_string_append_printf(out, "%spassword=***", sep);
			sep = "&";
		}
		if (ep->db != 0)
			g_string_append_printf(out, "%sdb=%u", sep, ep->db);
		return g_string_free(out, FALSE);
	}
	g_string_append(out, ep->tls ? "rediss://" : "redis://");
	if (ep->username != NULL) {
		g_autofree gchar *user = g_uri_escape_string(ep->username, NULL, FALSE);
		g_string_append(out, user);
	}
	if (ep->password != NULL)
		g_string_append(out, ":***");
	if (ep->username != NULL || ep->password != NULL)
		g_string_append_c(out, '@');
	if (ep->host != NULL && strchr(ep->host, ':') != NULL)
		g_string_append_printf(out, "[%s]", ep->host);
	else
		g_string_append(out, ep->host != NULL ? ep->host : "");
	g_string_append_printf(out, ":%u", ep->port);
	if (ep->db != 0)
		g_string_append_printf(out, "/%u", ep->db);
	return g_string_free(out, FALSE);
}

GPtrArray *
rc_redis_endpoint_parse_list(const gchar *list, GError **error)
{
	g_autoptr(GPtrArray) result =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rc_redis_endpoint_free);
	g_auto(GStrv) items = NULL;

	g_return_val_if_fail(list != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	/* g_strsplit() makes no entry at all of "" */
	items = list[0] != '\0' ? g_strsplit(list, ",", -1) : g_strdupv((gchar *[]){"", NULL});
	for (guint i = 0; items[i] != NULL; i++) {
		g_autoptr(GError) local = NULL;
		RcRedisEndpoint *ep;
		gchar *item = g_strstrip(items[i]);

		if (item[0] == '\0') {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_INVALID_ARGUMENT,
				    _("Invalid list of Redis addresses: entry %u is empty"),
				    i + 1);
			return NULL;
		}
		ep = rc_redis_endpoint_parse(item, &local);
		if (ep == NULL) {
			g_propagate_prefixed_error(
			    error, g_steal_pointer(&local), _("Entry %u of the list: "), i + 1);
			return NULL;
		}
		g_ptr_array_add(result, ep);
	}
	return g_steal_pointer(&result);
}

gboolean
rc_redis_endpoint_equal_address(const RcRedisEndpoint *a, const RcRedisEndpoint *b)
{
	return g_strcmp0(a->host, b->host) == 0 && a->port == b->port &&
	       g_strcmp0(a->unix_path, b->unix_path) == 0;
}
