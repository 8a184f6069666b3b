/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "transport/rc-client-poller.h"

G_BEGIN_DECLS

/* A client socket's input as libsoup reads it: reads go straight to the socket,
 * and the source libsoup waits on is parked with the RcClientPoller. */
#define RC_TYPE_CLIENT_INPUT_STREAM (rc_client_input_stream_get_type())
G_DECLARE_FINAL_TYPE(RcClientInputStream,
		     rc_client_input_stream,
		     RC,
		     CLIENT_INPUT_STREAM,
		     GInputStream)

GInputStream *rc_client_input_stream_new(GInputStream *base, gint fd, RcClientPoller *poller);

G_END_DECLS
