/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPluginAuthJwt"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "rc-auth-jwt-plugin.h"

#define RC_JWT_DEFAULT_LEEWAY 30
#define RC_JWT_MAX_TOKEN_BYTES 8192
#define RC_JWT_SIGNATURE_LEN 32 /* HMAC-SHA256 */

struct _RcAuthJwtPlugin {
	RcPlugin parent_instance;
	GBytes *secret;
	gchar *issuer;	 /* NULL: not checked */
	gchar *audience; /* NULL: not checked */
	gint64 leeway;	 /* seconds of clock skew allowed on exp and nbf */
};

G_DEFINE_TYPE(RcAuthJwtPlugin, rc_auth_jwt_plugin, RC_TYPE_PLUGIN)

RC_PLUGIN_DEFINE("auth-jwt", rc_auth_jwt_plugin_get_type)

static gboolean
rc_auth_jwt_fail(GError **error, const gchar *message)
{
	g_set_error_literal(error, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_UNAUTHORIZED, message);
	return FALSE;
}

/* Strict base64url (RFC 7515): URL alphabet only, no padding, no stray bits. GLib
 * decodes standard base64, so translate, decode, and insist the result encodes back
 * to exactly the input; that refuses every other spelling of the same bytes. */
static GBytes *
rc_auth_jwt_base64url_decode(const gchar *data, gsize len)
{
	g_autoptr(GString) std = g_string_sized_new(len + 3);
	g_autofree guchar *raw = NULL;
	g_autofree gchar *again = NULL;
	gsize raw_len = 0;
	gsize again_len;

	if (len == 0 || len % 4 == 1)
		return NULL;
	for (gsize i = 0; i < len; i++) {
		gchar c = data[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!g_ascii_isalnum(c))
			return NULL;
		g_string_append_c(std, c);
	}
	while (std->len % 4 != 0)
		g_string_append_c(std, '=');
	raw = g_base64_decode(std->str, &raw_len);

	again = g_base64_encode(raw, raw_len);
	again_len = strlen(again);
	while (again_len > 0 && again[again_len - 1] == '=')
		again_len--;
	if (again_len != len || memcmp(again, std->str, len) != 0)
		return NULL;
	return g_bytes_new_take(g_steal_pointer(&raw), raw_len);
}

/* A string with an escaped NUL ("\u0000") comes out of json-glib cut short at it:
 * "ali\u0000ce" would read as "ali", another claim as a prefix of itself. Such a
 * string cannot be read for what it says, so the token is refused. */
static gboolean
rc_auth_jwt_has_escaped_nul(const gchar *data, gsize len)
{
	gboolean in_string = FALSE;

	for (gsize i = 0; i < len; i++) {
		if (!in_string) {
			in_string = data[i] == '"';
			continue;
		}
		if (data[i] == '"') {
			in_string = FALSE;
		} else if (data[i] == '\\') {
			/* an escape: the character after the backslash is part of it */
			if (i + 5 < len && memcmp(data + i + 1, "u0000", 5) == 0)
				return TRUE;
			i++;
		}
	}
	return FALSE;
}

static JsonObject *
rc_auth_jwt_parse_object(GBytes *bytes)
{
	gsize len;
	const gchar *data = g_bytes_get_data(bytes, &len);
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;

	if (memchr(data, '\0', len) != NULL || !g_utf8_validate(data, len, NULL) ||
	    rc_auth_jwt_has_escaped_nul(data, len))
		return NULL;
	if (!json_parser_load_from_data(parser, data, len, NULL))
		return NULL;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	return json_object_ref(json_node_get_object(root));
}

static gboolean
rc_auth_jwt_get_number(JsonObject *obj, const gchar *name, gdouble *value)
{
	JsonNode *node = json_object_get_member(obj, name);
	GType type;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return FALSE;
	type = json_node_get_value_type(node);
	if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
		return FALSE;
	*value = json_node_get_double(node);
	return TRUE;
}

static const gchar *
rc_auth_jwt_get_string(JsonObject *obj, const gchar *name)
{
	JsonNode *node = json_object_get_member(obj, name);

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

/* "aud" is a string or an array of strings (RFC 7519 4.1.3) */
static gboolean
rc_auth_jwt_audience_matches(JsonObject *payload, const gchar *audience)
{
	JsonNode *node = json_object_get_member(payload, "aud");
	JsonArray *array;

	if (node == NULL)
		return FALSE;
	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
		return g_strcmp0(json_node_get_string(node), audience) == 0;
	if (!JSON_NODE_HOLDS_ARRAY(node))
		return FALSE;
	array = json_node_get_array(node);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *element = json_array_get_element(array, i);

		if (JSON_NODE_HOLDS_VALUE(element) &&
		    json_node_get_value_type(element) == G_TYPE_STRING &&
		    g_strcmp0(json_node_get_string(element), audience) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
rc_auth_jwt_check_signature(RcAuthJwtPlugin *self,
			    const gchar *signing_input,
			    gsize signing_input_len,
			    GBytes *signature)
{
	gsize key_len;
	const guchar *key = g_bytes_get_data(self->secret, &key_len);
	g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, key, key_len);
	guint8 digest[RC_JWT_SIGNATURE_LEN];
	gsize digest_len = sizeof(digest);
	gsize sig_len;
	const guint8 *sig = g_bytes_get_data(signature, &sig_len);

	g_hmac_update(hmac, (const guchar *)signing_input, signing_input_len);
	g_hmac_get_digest(hmac, digest, &digest_len);
	if (sig_len != RC_JWT_SIGNATURE_LEN)
		return FALSE;
	return rc_plugin_digest_equal(digest, sig, RC_JWT_SIGNATURE_LEN);
}

static gboolean
rc_auth_jwt_check_claims(RcAuthJwtPlugin *self,
			 JsonObject *payload,
			 RcIdentity *identity,
			 GError **error)
{
	gdouble now = (gdouble)g_get_real_time() / G_USEC_PER_SEC;
	gdouble exp = 0, nbf = 0;
	const gchar *sub;
	JsonNode *rooms;
	g_autoptr(GError) local = NULL;

	if (!json_object_has_member(payload, "exp"))
		return rc_auth_jwt_fail(error, _("token has no “exp” claim"));
	if (!rc_auth_jwt_get_number(payload, "exp", &exp))
		return rc_auth_jwt_fail(error, _("token “exp” claim is not a number"));
	if (now > exp + (gdouble)self->leeway)
		return rc_auth_jwt_fail(error, _("token has expired"));
	if (json_object_has_member(payload, "nbf")) {
		if (!rc_auth_jwt_get_number(payload, "nbf", &nbf))
			return rc_auth_jwt_fail(error, _("token “nbf” claim is not a number"));
		if (now + (gdouble)self->leeway < nbf)
			return rc_auth_jwt_fail(error, _("token is not valid yet"));
	}
	if (self->issuer != NULL &&
	    g_strcmp0(rc_auth_jwt_get_string(payload, "iss"), self->issuer) != 0)
		return rc_auth_jwt_fail(error, _("token issuer does not match"));
	if (self->audience != NULL && !rc_auth_jwt_audience_matches(payload, self->audience))
		return rc_auth_jwt_fail(error, _("token audience does not match"));

	sub = rc_auth_jwt_get_string(payload, "sub");
	if (sub == NULL)
		return rc_auth_jwt_fail(error, _("token has no “sub” claim"));
	if (!rc_identity_set_sender(identity, sub, &local)) {
		g_set_error(error,
			    RC_PLUGIN_ERROR,
			    RC_PLUGIN_ERROR_UNAUTHORIZED,
			    _("token “sub” claim: %s"),
			    local->message);
		return FALSE;
	}

	rooms = json_object_get_member(payload, "rooms");
	if (rooms != NULL) {
		JsonArray *array;
		g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
		g_auto(GStrv) globs = NULL;

		if (!JSON_NODE_HOLDS_ARRAY(rooms))
			return rc_auth_jwt_fail(error, _("token “rooms” claim is not an array"));
		array = json_node_get_array(rooms);
		for (guint i = 0; i < json_array_get_length(array); i++) {
			JsonNode *element = json_array_get_element(array, i);

			if (!JSON_NODE_HOLDS_VALUE(element) ||
			    json_node_get_value_type(element) != G_TYPE_STRING)
				return rc_auth_jwt_fail(
				    error, _("token “rooms” claim must hold only strings"));
			g_strv_builder_add(builder, json_node_get_string(element));
		}
		globs = g_strv_builder_end(builder);
		if (!rc_identity_set_room_globs(identity, (const gchar *const *)globs, &local)) {
			g_set_error(error,
				    RC_PLUGIN_ERROR,
				    RC_PLUGIN_ERROR_UNAUTHORIZED,
				    _("token “rooms” claim: %s"),
				    local->message);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
rc_auth_jwt_plugin_authenticate(RcPlugin *plugin,
				RcAuthRequest *request,
				RcIdentity *identity,
				GError **error)
{
	RcAuthJwtPlugin *self = RC_AUTH_JWT_PLUGIN(plugin);
	const gchar *token = rc_auth_request_get_token(request);
	const gchar *dot1, *dot2;
	gsize len;
	const gchar *alg;
	g_autoptr(GBytes) header_raw = NULL;
	g_autoptr(GBytes) payload_raw = NULL;
	g_autoptr(GBytes) signature = NULL;
	g_autoptr(JsonObject) header = NULL;
	g_autoptr(JsonObject) payload = NULL;

	if (token == NULL)
		return rc_auth_jwt_fail(
		    error, _("a token is required (?token= or Authorization: Bearer)"));
	len = strlen(token);
	if (len > RC_JWT_MAX_TOKEN_BYTES)
		return rc_auth_jwt_fail(error, _("token is too long"));

	/* exactly three parts: a JWE or anything else is not for us */
	dot1 = strchr(token, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
		return rc_auth_jwt_fail(error, _("token is not a JWT (header.payload.signature)"));
	header_raw = rc_auth_jwt_base64url_decode(token, dot1 - token);
	if (header_raw == NULL)
		return rc_auth_jwt_fail(error, _("token header is not valid base64url"));
	header = rc_auth_jwt_parse_object(header_raw);
	if (header == NULL)
		return rc_auth_jwt_fail(error, _("token header is not a JSON object"));
	/* the header chooses nothing: only HS256 with our secret, never "none" */
	alg = rc_auth_jwt_get_string(header, "alg");
	if (g_strcmp0(alg, "HS256") != 0)
		return rc_auth_jwt_fail(error, _("token algorithm must be HS256"));
	if (json_object_has_member(header, "crit"))
		return rc_auth_jwt_fail(error, _("token has critical header extensions"));

	payload_raw = rc_auth_jwt_base64url_decode(dot1 + 1, dot2 - dot1 - 1);
	signature = rc_auth_jwt_base64url_decode(dot2 + 1, token + len - dot2 - 1);
	if (payload_raw == NULL || signature == NULL)
		return rc_auth_jwt_fail(error, _("token is not valid base64url"));
	if (!rc_auth_jwt_check_signature(self, token, dot2 - token, signature))
		return rc_auth_jwt_fail(error, _("token signature does not match"));

	payload = rc_auth_jwt_parse_object(payload_raw);
	if (payload == NULL)
		return rc_auth_jwt_fail(error, _("token payload is not a JSON object"));
	return rc_auth_jwt_check_claims(self, payload, identity, error);
}

/* an empty value counts as unset, as "issuer=" in a file reads */
static gchar *
rc_auth_jwt_get_setting(GKeyFile *keyfile, const gchar *group, const gchar *key)
{
	g_autofree gchar *value = g_key_file_get_string(keyfile, group, key, NULL);

	if (value == NULL || value[0] == '\0')
		return NULL;
	return g_steal_pointer(&value);
}

static gboolean
rc_auth_jwt_plugin_startup(RcPlugin *plugin, GKeyFile *keyfile, const gchar *group, GError **error)
{
	RcAuthJwtPlugin *self = RC_AUTH_JWT_PLUGIN(plugin);
	g_autofree gchar *secret = NULL;
	g_autoptr(GError) local = NULL;
	gint64 leeway = RC_JWT_DEFAULT_LEEWAY;

	secret = g_key_file_get_string(keyfile, group, "secret", NULL);
	if (secret == NULL || secret[0] == '\0') {
		g_set_error(error,
			    RC_PLUGIN_ERROR,
			    RC_PLUGIN_ERROR_FAILED,
			    _("set “secret” in [%s] to the HS256 key"),
			    group);
		return FALSE;
	}
	if (g_key_file_has_key(keyfile, group, "leeway", NULL)) {
		leeway = g_key_file_get_int64(keyfile, group, "leeway", &local);
		if (local != NULL || leeway < 0 || leeway > G_MAXINT32) {
			g_set_error(error,
				    RC_PLUGIN_ERROR,
				    RC_PLUGIN_ERROR_FAILED,
				    _("“leeway” in [%s] must be a number of seconds, 0 or more"),
				    group);
			return FALSE;
		}
	}

	g_clear_pointer(&self->secret, g_bytes_unref);
	self->secret = g_bytes_new(secret, strlen(secret));
	g_clear_pointer(&self->issuer, g_free);
	self->issuer = rc_auth_jwt_get_setting(keyfile, group, "issuer");
	g_clear_pointer(&self->audience, g_free);
	self->audience = rc_auth_jwt_get_setting(keyfile, group, "audience");
	self->leeway = leeway;
	return TRUE;
}

static void
rc_auth_jwt_plugin_finalize(GObject *object)
{
	RcAuthJwtPlugin *self = RC_AUTH_JWT_PLUGIN(object);

	g_clear_pointer(&self->secret, g_bytes_unref);
	g_free(self->issuer);
	g_free(self->audience);
	G_OBJECT_CLASS(rc_auth_jwt_plugin_parent_class)->finalize(object);
}

/* what startup reads: roomcastd names any other key of the group */
static const gchar *const rc_auth_jwt_settings[] = {"secret", "issuer", "audience", "leeway", NULL};

static void
rc_auth_jwt_plugin_class_init(RcAuthJwtPluginClass *klass)
{
	RcPluginClass *plugin_class = RC_PLUGIN_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = rc_auth_jwt_plugin_finalize;
	plugin_class->startup = rc_auth_jwt_plugin_startup;
	plugin_class->authenticate = rc_auth_jwt_plugin_authenticate;
	plugin_class->settings = rc_auth_jwt_settings;
}

static void
rc_auth_jwt_plugin_init(RcAuthJwtPlugin *self)
{
	self->leeway = RC_JWT_DEFAULT_LEEWAY;
}
