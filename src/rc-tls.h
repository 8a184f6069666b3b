/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Loads the certificate (chain) and private key a node serves TLS with, from two
 * PEM files. Unlike g_tls_certificate_new_from_files(), a key that does not belong
 * to the certificate is refused here, not at the first handshake; and the error
 * names the config key of the file at fault ([server] tls_certificate or tls_key). */
GTlsCertificate *
rc_tls_load_certificate(const gchar *cert_path, const gchar *key_path, GError **error);

G_END_DECLS
