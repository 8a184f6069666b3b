/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPluginFilterProfanity"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "rc-filter-profanity-plugin.h"

typedef enum {
	RC_PROFANITY_ACTION_MASK,
	RC_PROFANITY_ACTION_REJECT,
} RcProfanityAction;

struct _RcFilterProfanityPlugin {
	RcPlugin parent_instance;
	GHashTable *words; /* set of folded words */
	RcProfanityAction action;
};

G_DEFINE_TYPE(RcFilterProfanityPlugin, rc_filter_profanity_plugin, RC_TYPE_PLUGIN)

RC_PLUGIN_DEFINE("filter-profanity", rc_filter_profanity_plugin_get_type)

/* invisible characters (zero-width space and joiners, soft hyphen, BOM) */
static gboolean
rc_filter_profanity_is_invisible(gunichar c)
{
	return g_unichar_type(c) == G_UNICODE_FORMAT;
}

/* What a regex \w holds: letters, digits, '_' and its kin; marks belong to the letter
 * before them ("é" written as e + U+0301), and so do invisible characters: "da" +
 * U+200B + "rn" reads as one word, and is one. */
static gboolean
rc_filter_profanity_is_word_char(gunichar c)
{
	return g_unichar_isalnum(c) || g_unichar_ismark(c) ||
	       g_unichar_type(c) == G_UNICODE_CONNECT_PUNCTUATION ||
	       rc_filter_profanity_is_invisible(c);
}

/* Caseless, compatibility-normalized form without invisible characters: "BAD",
 * "bad", fullwidth "ｂａｄ" and "b" + U+200B + "ad" are one word. */
static gchar *
rc_filter_profanity_fold(const gchar *word, gssize len)
{
	g_autoptr(GString) visible = g_string_new(NULL);
	g_autofree gchar *decomposed = NULL;
	g_autofree gchar *folded = NULL;
	const gchar *end = len < 0 ? word + strlen(word) : word + len;

	for (const gchar *p = word; p < end; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (!rc_filter_profanity_is_invisible(c))
			g_string_append_unichar(visible, c);
	}
	decomposed = g_utf8_normalize(visible->str, (gssize)visible->len, G_NORMALIZE_NFKD);
	if (decomposed == NULL)
		return NULL;
	folded = g_utf8_casefold(decomposed, -1);
	return g_utf8_normalize(folded, -1, G_NORMALIZE_NFKC);
}

static GHashTable *
rc_filter_profanity_load_words(const gchar *path, GError **error)
{
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GHashTable) words = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	if (!g_file_get_contents(path, &contents, &len, error))
		return NULL;
	if (!g_utf8_validate(contents, len, NULL)) {
		g_set_error(error,
			    RC_PLUGIN_ERROR,
			    RC_PLUGIN_ERROR_FAILED,
			    _("%s is not valid UTF-8"),
			    path);
		return NULL;
	}
	lines = g_strsplit(contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		gchar *line = lines[i];
		gboolean whole_word = TRUE;
		gchar *folded;

		/* "#" starts a comment, at the start of a line or after a space */
		for (gchar *p = line; *p != '\0'; p++) {
			if (*p == '#' && (p == line || g_ascii_isspace(p[-1]))) {
				*p = '\0';
				break;
			}
		}
		line = g_strstrip(line);
		if (line[0] == '\0')
			continue;
		folded = rc_filter_profanity_fold(line, -1);
		for (const gchar *p = folded; p != NULL && *p != '\0'; p = g_utf8_next_char(p)) {
			if (!rc_filter_profanity_is_word_char(g_utf8_get_char(p)))
				whole_word = FALSE;
		}
		/* nothing visible (a byte order mark alone) is a blank line: as a word it
		 * would match every run of invisible characters */
		if (folded != NULL && folded[0] == '\0') {
			g_free(folded);
			continue;
		}
		/* it could never match a whole word of a message */
		if (folded == NULL || !whole_word) {
			g_warning(
			    _("%s:%u: “%s” is not a single word; line ignored"), path, i + 1, line);
			g_free(folded);
			continue;
		}
		g_hash_table_add(words, folded);
	}
	return g_steal_pointer(&words);
}

static gboolean
rc_filter_profanity_plugin_startup(RcPlugin *plugin,
				   GKeyFile *keyfile,
				   const gchar *group,
				   GError **error)
{
	RcFilterProfanityPlugin *self = RC_FILTER_PROFANITY_PLUGIN(plugin);
	g_autofree gchar *path = NULL;
	g_autofree gchar *action = NULL;
	g_autoptr(GError) local = NULL;
	GHashTable *words;

	action = g_key_file_get_string(keyfile, group, "action", NULL);
	if (action == NULL || g_strcmp0(action, "mask") == 0) {
		self->action = RC_PROFANITY_ACTION_MASK;
	} else if (g_strcmp0(action, "reject") == 0) {
		self->action = RC_PROFANITY_ACTION_REJECT;
	} else {
		g_set_error(error,
			    RC_PLUGIN_ERROR,
			    RC_PLUGIN_ERROR_FAILED,
			    _("“action” in [%s] must be “mask” or “reject”, not “%s”"),
			    group,
			    action);
		return FALSE;
	}
	path = g_key_file_get_string(keyfile, group, "words", NULL);
	if (path == NULL || path[0] == '\0') {
		g_set_error(error,
			    RC_PLUGIN_ERROR,
			    RC_PLUGIN_ERROR_FAILED,
			    _("set “words” in [%s] to the path of the word list"),
			    group);
		return FALSE;
	}
	words = rc_filter_profanity_load_words(path, &local);
	if (words == NULL) {
		g_set_error(error,
			    RC_PLUGIN_ERROR,
			    RC_PLUGIN_ERROR_FAILED,
			    _("cannot read the word list: %s"),
			    local->message);
		return FALSE;
	}
	g_clear_pointer(&self->words, g_hash_table_unref);
	self->words = words;
	g_debug("%u words from %s", g_hash_table_size(words), path);
	return TRUE;
}

static gboolean
rc_filter_profanity_plugin_filter(RcPlugin *plugin, RcFilterMessage *message, GError **error)
{
	RcFilterProfanityPlugin *self = RC_FILTER_PROFANITY_PLUGIN(plugin);
	const gchar *text = rc_filter_message_get_text(message);
	const gchar *p = text;
	g_autoptr(GString) out = g_string_sized_new(strlen(text));
	gboolean changed = FALSE;

	if (g_hash_table_size(self->words) == 0)
		return TRUE;
	while (*p != '\0') {
		const gchar *start = p;
		g_autofree gchar *folded = NULL;
		guint n_chars = 0;

		if (!rc_filter_profanity_is_word_char(g_utf8_get_char(p))) {
			p = g_utf8_next_char(p);
			g_string_append_len(out, start, p - start);
			continue;
		}
		while (*p != '\0' && rc_filter_profanity_is_word_char(g_utf8_get_char(p))) {
			gunichar c = g_utf8_get_char(p);
			if (!g_unichar_ismark(c) && !rc_filter_profanity_is_invisible(c))
				n_chars++;
			p = g_utf8_next_char(p);
		}
		folded = rc_filter_profanity_fold(start, p - start);
		if (folded == NULL || !g_hash_table_contains(self->words, folded)) {
			g_string_append_len(out, start, p - start);
			continue;
		}
		if (self->action == RC_PROFANITY_ACTION_REJECT) {
			g_set_error_literal(error,
					    RC_PLUGIN_ERROR,
					    RC_PLUGIN_ERROR_REJECTED,
					    _("the message contains a word that is not allowed"));
			return FALSE;
		}
		/* one '*' per character seen, whatever its size in bytes */
		for (guint i = 0; i < MAX(n_chars, 1u); i++)
			g_string_append_c(out, '*');
		changed = TRUE;
	}
	if (changed)
		rc_filter_message_set_text(message, out->str);
	return TRUE;
}

static void
rc_filter_profanity_plugin_finalize(GObject *object)
{
	RcFilterProfanityPlugin *self = RC_FILTER_PROFANITY_PLUGIN(object);

	g_clear_pointer(&self->words, g_hash_table_unref);
	G_OBJECT_CLASS(rc_filter_profanity_plugin_parent_class)->finalize(object);
}

/* what startup reads: roomcastd names any other key of the group */
static const gchar *const rc_filter_profanity_settings[] = {"words", "action", NULL};

static void
rc_filter_profanity_plugin_class_init(RcFilterProfanityPluginClass *klass)
{
	RcPluginClass *plugin_class = RC_PLUGIN_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = rc_filter_profanity_plugin_finalize;
	plugin_class->startup = rc_filter_profanity_plugin_startup;
	plugin_class->filter = rc_filter_profanity_plugin_filter;
	plugin_class->settings = rc_filter_profanity_settings;
}

static void
rc_filter_profanity_plugin_init(RcFilterProfanityPlugin *self)
{
	self->words = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}
