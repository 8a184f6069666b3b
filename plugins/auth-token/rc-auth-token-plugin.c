/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPluginAuthToken"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "rc-auth-token-plugin.h"

#define RC_TOKEN_DIGEST_LEN 32

typedef struct {
	guint8 digest[RC_TOKEN_DIGEST_LEN]; /* SHA-256 of the token */
	gchar *sender;
	GStrv room_globs; /* NULL: every room */
	guint line;
} RcTokenEntry;

struct _RcAuthTokenPlugin {
	RcPlugin parent_instance;
	GPtrArray *entries; /* (element-type RcTokenEntry) */
};

G_DEFINE_TYPE(RcAuthTokenPlugin, rc_auth_token_plugin, RC_TYPE_PLUGIN)

RC_PLUGIN_DEFINE("auth-token", rc_auth_token_plugin_get_type)

static void
rc_token_entry_free(RcTokenEntry *entry)
{
	g_free(entry->sender);
	g_strfreev(entry->room_globs);
	g_free(entry);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTokenEntry, rc_token_entry_free)

/* Tokens are compared by their SHA-256 digests, all of them every time, so neither the
 * token's length nor where it differs shows in the time a refusal takes. */
static void
rc_auth_token_digest(const gchar *token, guint8 *digest)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	gsize len = RC_TOKEN_DIGEST_LEN;

	g_checksum_update(checksum, (const guchar *)token, strlen(token));
	g_checksum_get_digest(checksum, digest, &len);
}

static RcTokenEntry *
rc_auth_token_lookup(GPtrArray *entries, const guint8 *digest)
{
	RcTokenEntry *found = NULL;

	for (guint i = 0; i < entries->len; i++) {
		RcTokenEntry *entry = g_ptr_array_index(entries, i);
		gboolean equal = rc_plugin_digest_equal(entry->digest, digest, RC_TOKEN_DIGEST_LEN);

		if (equal && found == NULL)
			found = entry;
	}
	return found;
}

/* NULL with a warning for a line that cannot be used */
static RcTokenEntry *
rc_auth_token_parse_line(const gchar *path, guint lineno, const gchar *line, GPtrArray *entries)
{
	g_auto(GStrv) fields = g_strsplit_set(line, " \t", -1);
	g_autoptr(GPtrArray) words = g_ptr_array_new();
	g_autoptr(GPtrArray) globs = NULL;
	g_autoptr(RcTokenEntry) entry = g_new0(RcTokenEntry, 1);
	g_autoptr(GError) error = NULL;
	RcTokenEntry *other;

	for (guint i = 0; fields[i] != NULL; i++) {
		/* a word that starts with # begins a comment to the end of the line */
		if (fields[i][0] == '#')
			break;
		if (fields[i][0] != '\0')
			g_ptr_array_add(words, fields[i]);
	}
	if (words->len < 2) {
		g_warning(_("%s:%u: expected “TOKEN SENDER [ROOM_GLOB ...]”; line ignored"),
			  path,
			  lineno);
		return NULL;
	}
	if (!rc_identity_validate_sender(g_ptr_array_index(words, 1), &error)) {
		g_warning(_("%s:%u: %s; line ignored"), path, lineno, error->message);
		return NULL;
	}
	if (words->len > 2) {
		globs = g_ptr_array_new_with_free_func(g_free);
		for (guint i = 2; i < words->len; i++) {
			const gchar *glob = g_ptr_array_index(words, i);

			if (!rc_identity_validate_room_glob(glob, &error)) {
				g_warning(
				    _("%s:%u: %s; line ignored"), path, lineno, error->message);
				return NULL;
			}
			g_ptr_array_add(globs, g_strdup(glob));
		}
		g_ptr_array_add(globs, NULL);
	}
	rc_auth_token_digest(g_ptr_array_index(words, 0), entry->digest);
	other = rc_auth_token_lookup(entries, entry->digest);
	if (other != NULL) {
		g_warning(_("%s:%u: the same token is already on line %u; line ignored"),
			  path,
			  lineno,
			  other->line);
		return NULL;
	}
	entry->sender = g_strdup(g_ptr_array_index(words, 1));
	entry->room_globs =
	    globs != NULL ? (GStrv)g_ptr_array_free(g_steal_pointer(&globs), FALSE) : NULL;
	entry->line = lineno;
	return g_steal_pointer(&entry);
}

static GPtrArray *
rc_auth_token_load_file(const gchar *path, GError **error)
{
	g_autofree gchar *contents = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GPtrArray) entries = NULL;

	if (!g_file_get_contents(path, &contents, NULL, error))
		return NULL;
	entries = g_ptr_array_new_with_free_func((GDestroyNotify)rc_token_entry_free);
	lines = g_strsplit(contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		gchar *line = g_strstrip(lines[i]);
		RcTokenEntry *entry;

		if (line[0] == '\0' || line[0] == '#')
			continue;
		entry = rc_auth_token_parse_line(path, i + 1, line, entries);
		if (entry != NULL)
			g_ptr_array_add(entries, entry);
	}
	if (entries->len == 0)
		g_warning(_("%s: no usable token: every client will be refused"), path);
	return g_steal_pointer(&entries);
}

static gboolean
rc_auth_token_plugin_startup(RcPlugin *plugin,
			     GKeyFile *keyfile,
			     const gchar *group,
			     GError **error)
{
	RcAuthTokenPlugin *self = RC_AUTH_TOKEN_PLUGIN(plugin);
	g_autofree gchar *path = NULL;
	g_autoptr(GError) local = NULL;
	GPtrArray *entries;

	path = g_key_file_get_string(keyfile, group, "tokens", NULL);
	if (path == NULL || path[0] == '\0') {
		g_set_error(error,
			    RC_PLUGIN_ERROR,
			    RC_PLUGIN_ERROR_FAILED,
			    _("set “tokens” in [%s] to the path of the token file"),
			    group);
		return FALSE;
	}
	entries = rc_auth_token_load_file(path, &local);
	if (entries == NULL) {
		g_set_error(error,
			    RC_PLUGIN_ERROR,
			    RC_PLUGIN_ERROR_FAILED,
			    _("cannot read the token file: %s"),
			    local->message);
		return FALSE;
	}
	g_clear_pointer(&self->entries, g_ptr_array_unref);
	self->entries = entries;
	g_debug("%u tokens from %s", entries->len, path);
	return TRUE;
}

static gboolean
rc_auth_token_plugin_authenticate(RcPlugin *plugin,
				  RcAuthRequest *request,
				  RcIdentity *identity,
				  GError **error)
{
	RcAuthTokenPlugin *self = RC_AUTH_TOKEN_PLUGIN(plugin);
	const gchar *token = rc_auth_request_get_token(request);
	guint8 digest[RC_TOKEN_DIGEST_LEN];
	RcTokenEntry *entry;

	if (token == NULL) {
		g_set_error_literal(error,
				    RC_PLUGIN_ERROR,
				    RC_PLUGIN_ERROR_UNAUTHORIZED,
				    _("a token is required (?token= or Authorization: Bearer)"));
		return FALSE;
	}
	rc_auth_token_digest(token, digest);
	entry = rc_auth_token_lookup(self->entries, digest);
	if (entry == NULL) {
		g_set_error_literal(
		    error, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_UNAUTHORIZED, _("unknown token"));
		return FALSE;
	}
	return rc_identity_set_sender(identity, entry->sender, error) &&
	       rc_identity_set_room_globs(identity, (const gchar *const *)entry->room_globs, error);
}

static void
rc_auth_token_plugin_finalize(GObject *object)
{
	RcAuthTokenPlugin *self = RC_AUTH_TOKEN_PLUGIN(object);

	g_clear_pointer(&self->entries, g_ptr_array_unref);
	G_OBJECT_CLASS(rc_auth_token_plugin_parent_class)->finalize(object);
}

/* what startup reads: roomcastd names any other key of the group */
static const gchar *const rc_auth_token_settings[] = {"tokens", NULL};

static void
rc_auth_token_plugin_class_init(RcAuthTokenPluginClass *klass)
{
	RcPluginClass *plugin_class = RC_PLUGIN_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = rc_auth_token_plugin_finalize;
	plugin_class->startup = rc_auth_token_plugin_startup;
	plugin_class->authenticate = rc_auth_token_plugin_authenticate;
	plugin_class->settings = rc_auth_token_settings;
}

static void
rc_auth_token_plugin_init(RcAuthTokenPlugin *self)
{
	self->entries = g_ptr_array_new_with_free_func((GDestroyNotify)rc_token_entry_free);
}
