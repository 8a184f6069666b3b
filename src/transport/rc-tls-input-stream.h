/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The input of a TLS connection whose first bytes were already read (to check the
 * request head before libsoup sees it): those come first, then the connection's. */
#define RC_TYPE_TLS_INPUT_STREAM (rc_tls_input_stream_get_type())
G_DECLARE_FINAL_TYPE(RcTlsInputStream, rc_tls_input_stream, RC, TLS_INPUT_STREAM, GInputStream)

/* @base must be pollable; @prefix may be NULL */
GInputStream *rc_tls_input_stream_new(GInputStream *base, GBytes *prefix);

G_END_DECLS
