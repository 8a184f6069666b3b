/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPlugin"

#include <string.h>

#include "rc-secret.h"

#define RC_SECRET_DIGEST_LEN 32 /* SHA-256 */

gboolean
rc_plugin_digest_equal(const guint8 *a, const guint8 *b, gsize len)
{
	guint8 diff = 0;

	for (gsize i = 0; i < len; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

static void
rc_secret_digest(const gchar *s, guint8 *digest)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	gsize len = RC_SECRET_DIGEST_LEN;

	g_checksum_update(checksum, (const guchar *)s, strlen(s));
	g_checksum_get_digest(checksum, digest, &len);
}

gboolean
rc_plugin_secret_equal(const gchar *guess, const gchar *secret)
{
	guint8 a[RC_SECRET_DIGEST_LEN];
	guint8 b[RC_SECRET_DIGEST_LEN];

	g_return_val_if_fail(guess != NULL && secret != NULL, FALSE);
	rc_secret_digest(guess, a);
	rc_secret_digest(secret, b);
	return rc_plugin_digest_equal(a, b, sizeof(a));
}
