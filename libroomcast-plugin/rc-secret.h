/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Comparisons for secrets (tokens, signatures) whose time tells an attacker nothing:
 * neither where two values differ nor how long the secret is. */

/* TRUE when @len bytes at @a and @b are equal; looks at every byte every time */
gboolean rc_plugin_digest_equal(const guint8 *a, const guint8 *b, gsize len);
/* TRUE when the two strings are equal: compares their SHA-256 digests, so the
 * time depends on the length of @guess (known to whoever sent it), never on where
 * it differs from @secret or on the secret's length */
gboolean rc_plugin_secret_equal(const gchar *guess, const gchar *secret);

G_END_DECLS
