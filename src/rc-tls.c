/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTls"

#include "config.h"

#include <glib/gi18n.h>
#include <gnutls/gnutls.h>

#include "rc-tls.h"

static void
rc_tls_bad_value(GError **error, const gchar *text)
{
	g_set_error_literal(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, text);
}

/* GLib's "Failed to open file “PATH”: REASON" without the path the caller names */
static const gchar *
rc_tls_file_reason(const GError *error)
{
	const gchar *colon = g_strrstr(error->message, ": ");
	return colon != NULL ? colon + 2 : error->message;
}

/* GIO does not compare the key with the certificate: GnuTLS does */
static gboolean
rc_tls_check_pair(const gchar *cert_pem, gsize cert_len, const gchar *key_pem, gsize key_len)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_datum_t cert = {(guchar *)cert_pem, (guint)cert_len};
	gnutls_datum_t key = {(guchar *)key_pem, (guint)key_len};
	gint rv;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return TRUE; /* cannot tell: the handshake will */
	rv = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	return rv != GNUTLS_E_CERTIFICATE_KEY_MISMATCH;
}

GTlsCertificate *
rc_tls_load_certificate(const gchar *cert_path, const gchar *key_path, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *cert_pem = NULL;
	g_autofree gchar *key_pem = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *both = NULL;
	g_autoptr(GTlsCertificate) cert_only = NULL;
	g_autoptr(GTlsCertificate) cert = NULL;
	gsize cert_len = 0;
	gsize key_len = 0;

	if (!g_tls_backend_supports_tls(g_tls_backend_get_default())) {
		rc_tls_bad_value(error,
				 _("[server] tls_certificate, tls_key: this system has no TLS "
				   "support for GIO (install glib-networking)"));
		return NULL;
	}
	if (!g_file_get_contents(cert_path, &cert_pem, &cert_len, &local)) {
		text = g_strdup_printf(_("[server] tls_certificate: cannot read “%s”: %s"),
				       cert_path,
				       rc_tls_file_reason(local));
		rc_tls_bad_value(error, text);
		return NULL;
	}
	if (!g_file_get_contents(key_path, &key_pem, &key_len, &local)) {
		text = g_strdup_printf(_("[server] tls_key: cannot read “%s”: %s"),
				       key_path,
				       rc_tls_file_reason(local));
		rc_tls_bad_value(error, text);
		return NULL;
	}
	cert_only = g_tls_certificate_new_from_pem(cert_pem, (gssize)cert_len, &local);
	if (cert_only == NULL) {
		text = g_strdup_printf(_("[server] tls_certificate: no certificate in “%s”: %s"),
				       cert_path,
				       local->message);
		rc_tls_bad_value(error, text);
		return NULL;
	}
	/* both from what was read, so a file replaced meanwhile cannot mix them */
	both = g_strconcat(cert_pem, "\n", key_pem, NULL);
	cert = g_tls_certificate_new_from_pem(both, -1, &local);
	if (cert != NULL) {
		g_autofree gchar *key = NULL;
		/* without a key, from_pem gives a certificate all the same */
		g_object_get(cert, "private-key-pem", &key, NULL);
		if (key == NULL) {
			g_clear_object(&cert);
			g_set_error_literal(&local,
					    G_TLS_ERROR,
					    G_TLS_ERROR_BAD_CERTIFICATE,
					    _("No PEM-encoded private key found"));
		}
	}
	if (cert == NULL) {
		text = g_strdup_printf(
		    _("[server] tls_key: no private key in “%s”: %s"), key_path, local->message);
		rc_tls_bad_value(error, text);
		return NULL;
	}
	if (!rc_tls_check_pair(cert_pem, cert_len, key_pem, key_len)) {
		text = g_strdup_printf(_("[server] tls_key: the key in “%s” does not belong to "
					 "the certificate in “%s”"),
				       key_path,
				       cert_path);
		rc_tls_bad_value(error, text);
		return NULL;
	}
	return g_steal_pointer(&cert);
}
