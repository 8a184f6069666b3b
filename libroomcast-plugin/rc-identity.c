/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPluginSdk"

#include <glib/gi18n.h>
#include <string.h>

#include "rc-identity.h"
#include "rc-plugin-error.h"

#define RC_SENDER_MAX_BYTES 64
#define RC_ROOM_GLOB_MAX_BYTES 128

struct _RcIdentity {
	GObject parent_instance;
	gchar *sender;
	GStrv room_globs; /* NULL: every room */
};

G_DEFINE_TYPE(RcIdentity, rc_identity, G_TYPE_OBJECT)

static void
rc_identity_finalize(GObject *object)
{
	RcIdentity *self = RC_IDENTITY(object);

	g_free(self->sender);
	g_strfreev(self->room_globs);
	G_OBJECT_CLASS(rc_identity_parent_class)->finalize(object);
}

static void
rc_identity_class_init(RcIdentityClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_identity_finalize;
}

static void
rc_identity_init(RcIdentity *self)
{
}

RcIdentity *
rc_identity_new(void)
{
	return g_object_new(RC_TYPE_IDENTITY, NULL);
}

gboolean
rc_identity_validate_sender(const gchar *sender, GError **error)
{
	gsize len;

	if (sender == NULL || sender[0] == '\0') {
		g_set_error_literal(
		    error, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_FAILED, _("sender is empty"));
		return FALSE;
	}
	len = strlen(sender);
	if (len > RC_SENDER_MAX_BYTES) {
		g_set_error(error,
			    RC_PLUGIN_ERROR,
			    RC_PLUGIN_ERROR_FAILED,
			    _("sender is longer than %d bytes"),
			    RC_SENDER_MAX_BYTES);
		return FALSE;
	}
	if (!g_utf8_validate(sender, len, NULL)) {
		g_set_error_literal(
		    error, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_FAILED, _("sender is not valid UTF-8"));
		return FALSE;
	}
	for (const gchar *p = sender; *p != '\0'; p = g_utf8_next_char(p)) {
		if (g_unichar_iscntrl(g_utf8_get_char(p))) {
			g_set_error_literal(error,
					    RC_PLUGIN_ERROR,
					    RC_PLUGIN_ERROR_FAILED,
					    _("sender contains a control character"));
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
rc_identity_validate_room_glob(const gchar *glob, GError **error)
{
	gsize len = glob != NULL ? strlen(glob) : 0;

	if (len == 0 || len > RC_ROOM_GLOB_MAX_BYTES) {
		g_set_error(error,
			    RC_PLUGIN_ERROR,
			    RC_PLUGIN_ERROR_FAILED,
			    _("room glob must be 1 to %d characters long"),
			    RC_ROOM_GLOB_MAX_BYTES);
		return FALSE;
	}
	for (gsize i = 0; i < len; i++) {
		gchar c = glob[i];
		if (g_ascii_isalnum(c) || strchr("_.:@-*?", c) != NULL)
			continue;
		g_set_error(error,
			    RC_PLUGIN_ERROR,
			    RC_PLUGIN_ERROR_FAILED,
			    _("room glob “%s” may only hold A-Z a-z 0-9 _ . : @ - * ?"),
			    g_utf8_validate(glob, len, NULL) ? glob : "?");
		return FALSE;
	}
	return TRUE;
}

gboolean
rc_identity_set_sender(RcIdentity *self, const gchar *sender, GError **error)
{
	g_return_val_if_fail(RC_IS_IDENTITY(self), FALSE);

	if (!rc_identity_validate_sender(sender, error))
		return FALSE;
	g_free(self->sender);
	self->sender = g_strdup(sender);
	return TRUE;
}

const gchar *
rc_identity_get_sender(RcIdentity *self)
{
	g_return_val_if_fail(RC_IS_IDENTITY(self), NULL);

	return self->sender;
}

gboolean
rc_identity_set_room_globs(RcIdentity *self, const gchar *const *globs, GError **error)
{
	g_return_val_if_fail(RC_IS_IDENTITY(self), FALSE);

	for (guint i = 0; globs != NULL && globs[i] != NULL; i++) {
		if (!rc_identity_validate_room_glob(globs[i], error))
			return FALSE;
	}
	g_strfreev(self->room_globs);
	self->room_globs = globs != NULL ? g_strdupv((gchar **)globs) : NULL;
	return TRUE;
}

const gchar *const *
rc_identity_get_room_globs(RcIdentity *self)
{
	g_return_val_if_fail(RC_IS_IDENTITY(self), NULL);

	return (const gchar *const *)self->room_globs;
}
