/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcHttp"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "transport/rc-http.h"

GHashTable *
rc_http_get_query(SoupServerMessage *msg, GError **error)
{
	GUri *uri = soup_server_message_get_uri(msg);
	const gchar *query = uri != NULL ? g_uri_get_query(uri) : NULL;
	g_auto(GStrv) parts = g_strsplit(query != NULL ? query : "", "&", -1);
	g_autoptr(GString) with_values = g_string_new(NULL);

	/* "?debug" or "?a&&b=1": GLib wants a value for each name and nothing empty
	 * between the separators; a name alone has an empty value, as in browsers'
	 * URLSearchParams, and an empty part is no parameter */
	for (guint i = 0; parts[i] != NULL; i++) {
		if (parts[i][0] == '\0')
			continue;
		if (with_values->len > 0)
			g_string_append_c(with_values, '&');
		g_string_append(with_values, parts[i]);
		if (strchr(parts[i], '=') == NULL)
			g_string_append_c(with_values, '=');
	}
	if (with_values->len == 0)
		return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	/* GLib refuses an escaped NUL as it refuses invalid UTF-8: nothing is cut short */
	return g_uri_parse_params(with_values->str, -1, "&", G_URI_PARAMS_WWW_FORM, error);
}

gchar *
rc_http_get_peer(SoupServerMessage *msg)
{
	GSocketAddress *addr = soup_server_message_get_remote_address(msg);
	if (addr == NULL || !G_IS_INET_SOCKET_ADDRESS(addr))
		return g_strdup("unknown");
	return g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(addr));
}

static void
rc_http_add_header_cb(const char *name, const char *value, gpointer user_data)
{
	rc_auth_request_add_header(RC_AUTH_REQUEST(user_data), name, value);
}

RcAuthRequest *
rc_http_auth_request_new(SoupServerMessage *msg, GHashTable *query)
{
	g_autofree gchar *peer = rc_http_get_peer(msg);
	RcAuthRequest *request = rc_auth_request_new(peer);
	GHashTableIter iter;
	gpointer key, value;

	soup_message_headers_foreach(soup_server_message_get_request_headers(msg),
				     rc_http_add_header_cb,
				     request);
	g_hash_table_iter_init(&iter, query);
	while (g_hash_table_iter_next(&iter, &key, &value))
		rc_auth_request_add_query_param(request, key, value);
	return request;
}

/* scheme://host[:port] and nothing else, as an Origin header has it */
static GUri *
rc_http_parse_origin(const gchar *text)
{
	g_autoptr(GUri) uri = g_uri_parse(text, G_URI_FLAGS_NONE, NULL);
	const gchar *path;

	if (uri == NULL || g_uri_get_host(uri) == NULL || g_uri_get_userinfo(uri) != NULL ||
	    g_uri_get_query(uri) != NULL || g_uri_get_fragment(uri) != NULL)
		return NULL;
	path = g_uri_get_path(uri);
	if (path[0] != '\0' && g_strcmp0(path, "/") != 0)
		return NULL;
	return g_steal_pointer(&uri);
}

/* one origin as another: scheme and host in any case, and a port left out is the
 * scheme's default ("http://a.example" is "http://a.example:80") */
static gboolean
rc_http_same_origin(const gchar *a, const gchar *b)
{
	g_autoptr(GUri) ua = rc_http_parse_origin(a);
	g_autoptr(GUri) ub = rc_http_parse_origin(b);
	const gchar *scheme;
	gint port_a, port_b, fallback;

	/* "null" and the like: only the same text */
	if (ua == NULL || ub == NULL)
		return g_ascii_strcasecmp(a, b) == 0;
	scheme = g_uri_get_scheme(ua);
	if (g_ascii_strcasecmp(scheme, g_uri_get_scheme(ub)) != 0 ||
	    g_ascii_strcasecmp(g_uri_get_host(ua), g_uri_get_host(ub)) != 0)
		return FALSE;
	fallback = g_ascii_strcasecmp(scheme, "https") == 0 ? 443
		   : g_ascii_strcasecmp(scheme, "http") == 0 ? 80
							       : -1;
	port_a = g_uri_get_port(ua) != -1 ? g_uri_get_port(ua) : fallback;
	port_b = g_uri_get_port(ub) != -1 ? g_uri_get_port(ub) : fallback;
	return port_a == port_b;
}

gboolean
rc_http_origin_allowed(RcConfig *config, SoupServerMessage *msg)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	const gchar *origin = soup_message_headers_get_one(headers, "Origin");
	const gchar *host = soup_message_headers_get_one(headers, "Host");
	const gchar *const *allowed = rc_config_get_allowed_origins(config);

	if (origin == NULL)
		return TRUE;
	if (host != NULL) {
		g_autofree gchar *own_http = g_strconcat("http://", host, NULL);
		g_autofree gchar *own_https = g_strconcat("https://", host, NULL);
		if (rc_http_same_origin(origin, own_http) || rc_http_same_origin(origin, own_https))
			return TRUE;
	}
	for (guint i = 0; allowed != NULL && allowed[i] != NULL; i++) {
		if (g_strcmp0(allowed[i], "*") == 0 || rc_http_same_origin(allowed[i], origin))
			return TRUE;
	}
	return FALSE;
}

gboolean
rc_http_check_api_token(RcConfig *config, SoupServerMessage *msg)
{
	const gchar *token = rc_config_get_api_token(config);
	const gchar *auth;

	if (token == NULL)
		return TRUE;
	auth = soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
					    "Authorization");
	/* the scheme is case-insensitive (RFC 9110), the token is not */
	if (auth == NULL || g_ascii_strncasecmp(auth, "Bearer ", 7) != 0)
		return FALSE;
	return rc_plugin_secret_equal(auth + 7, token);
}

void
rc_http_set_json(SoupServerMessage *msg, guint status, JsonBuilder *builder)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	gsize len = 0;
	gchar *body;

	json_generator_set_root(generator, root);
	body = json_generator_to_data(generator, &len);
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, body, len);
}

void
rc_http_set_json_error(SoupServerMessage *msg, guint status, const gchar *error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "success");
	json_builder_add_boolean_value(builder, FALSE);
	json_builder_set_member_name(builder, "error");
	json_builder_add_string_value(builder, error);
	json_builder_end_object(builder);
	rc_http_set_json(msg, status, builder);
}

void
rc_http_set_text(SoupServerMessage *msg, guint status, const gchar *text)
{
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg,
					 "text/plain; charset=utf-8",
					 SOUP_MEMORY_COPY,
					 text,
					 strlen(text));
}

/* the line that starts at @data, without its CR LF (or bare LF); NULL when its end
 * has not arrived */
static const gchar *
rc_http_next_line(const gchar *data, const gchar *end, gsize *line_len)
{
	const gchar *lf = memchr(data, '\n', end - data);
	if (lf == NULL)
		return NULL;
	*line_len = (gsize)(lf - data);
	if (*line_len > 0 && data[*line_len - 1] == '\r')
		(*line_len)--;
	return lf + 1;
}

static gchar *
rc_http_header_value(const gchar *line, gsize len, gsize name_len)
{
	const gchar *v = line + name_len + 1;
	const gchar *e = line + len;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return g_strndup(v, e - v);
}

static gboolean
rc_http_header_is(const gchar *line, gsize len, const gchar *name)
{
	gsize n = strlen(name);
	return len > n && line[n] == ':' && g_ascii_strncasecmp(line, name, n) == 0;
}

RcHttpHeadResult
rc_http_check_head(const gchar *data,
		   gsize len,
		   gsize max_len,
		   gchar **path,
		   guint *status,
		   GError **error)
{
	const gchar *end = data + MIN(len, max_len);
	const gchar *p = data;
	const gchar *next;
	gsize line_len = 0;

	*path = NULL;
	/* the request line: METHOD SP TARGET SP VERSION */
	next = rc_http_next_line(p, end, &line_len);
	if (next != NULL) {
		const gchar *sp = memchr(p, ' ', line_len);
		if (sp != NULL) {
			const gchar *t = sp + 1;
			const gchar *te = memchr(t, ' ', line_len - (gsize)(t - p));
			const gchar *q;
			if (te == NULL)
				te = p + line_len;
			q = memchr(t, '?', te - t);
			*path = g_strndup(t, (q != NULL ? q : te) - t);
		}
		p = next;
	}
	while (next != NULL && (next = rc_http_next_line(p, end, &line_len)) != NULL) {
		if (line_len == 0)
			return RC_HTTP_HEAD_OK;
		if (rc_http_header_is(p, line_len, "Content-Length")) {
			g_autofree gchar *v = rc_http_header_value(p, line_len, strlen("Content-Length"));
			guint64 n = 0;
			if (!g_ascii_string_to_unsigned(v, 10, 0, G_MAXINT64, &n, NULL) ||
			    !g_ascii_isdigit(v[0])) {
				*status = SOUP_STATUS_BAD_REQUEST;
				g_set_error_literal(error,
						    G_IO_ERROR,
						    G_IO_ERROR_INVALID_DATA,
						    _("Content-Length must be one decimal number"));
				return RC_HTTP_HEAD_BAD;
			}
		} else if (rc_http_header_is(p, line_len, "Transfer-Encoding")) {
			g_autofree gchar *v =
			    rc_http_header_value(p, line_len, strlen("Transfer-Encoding"));
			if (g_ascii_strcasecmp(v, "chunked") != 0) {
				*status = SOUP_STATUS_NOT_IMPLEMENTED;
				g_set_error_literal(error,
						    G_IO_ERROR,
						    G_IO_ERROR_INVALID_DATA,
						    _("only the chunked Transfer-Encoding is supported"));
				return RC_HTTP_HEAD_BAD;
			}
		}
		p = next;
	}
	if (len >= max_len) {
		*status = 431; /* Request Header Fields Too Large: libsoup names no constant */
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_DATA,
			    _("the request head is larger than %u bytes"),
			    (guint)max_len);
		return RC_HTTP_HEAD_BAD;
	}
	return RC_HTTP_HEAD_INCOMPLETE;
}
