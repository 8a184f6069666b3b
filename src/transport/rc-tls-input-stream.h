/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The input of a TLS connection, as libsoup reads it.
 *
 * The first bytes were already read (to check the request head before libsoup
 * sees it): those come first. And whatever the TLS layer decrypted is taken out of
 * it at once: GIO's TLS streams say they are readable only when their socket is,
 * so bytes GnuTLS holds, read from the socket with an earlier record, would wait
 * until the client sends again. Here they wait in a buffer that is_readable()
 * and the sources see. */
#define RC_TYPE_TLS_INPUT_STREAM (rc_tls_input_stream_get_type())
G_DECLARE_FINAL_TYPE(RcTlsInputStream, rc_tls_input_stream, RC, TLS_INPUT_STREAM, GInputStream)

/* @base must be pollable; @prefix may be NULL */
GInputStream *rc_tls_input_stream_new(GInputStream *base, GBytes *prefix);

G_END_DECLS
