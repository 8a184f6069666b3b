/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* What an auth plugin gives an accepted connection: its sender name and, optionally,
 * the rooms it may join and send to (roomCode globs as g_pattern_match_simple() reads
 * them, e.g. "team-*"). */
#define RC_TYPE_IDENTITY (rc_identity_get_type())
G_DECLARE_FINAL_TYPE(RcIdentity, rc_identity, RC, IDENTITY, GObject)

RcIdentity *rc_identity_new(void);

/* FALSE with RC_PLUGIN_ERROR_FAILED when @sender is not a valid roomcast sender */
gboolean rc_identity_set_sender(RcIdentity *self, const gchar *sender, GError **error);
const gchar *rc_identity_get_sender(RcIdentity *self);

/* @globs: NULL allows every room (the default); an empty array allows none.
 * FALSE with RC_PLUGIN_ERROR_FAILED when a glob is not valid; nothing changes then. */
gboolean rc_identity_set_room_globs(RcIdentity *self, const gchar *const *globs, GError **error);
/* NULL when every room is allowed */
const gchar *const *rc_identity_get_room_globs(RcIdentity *self);

/* A sender is 1-64 bytes of valid UTF-8 without control characters. */
gboolean rc_identity_validate_sender(const gchar *sender, GError **error);
/* A room glob is 1-128 of [A-Za-z0-9_.:@-] plus the wildcards '*' and '?'. */
gboolean rc_identity_validate_room_glob(const gchar *glob, GError **error);

G_END_DECLS
