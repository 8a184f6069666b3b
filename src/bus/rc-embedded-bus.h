/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "bus/rc-bus.h"

G_BEGIN_DECLS

/* The single-node bus: a message is accepted and delivered in-process. */
#define RC_TYPE_EMBEDDED_BUS (rc_embedded_bus_get_type())
G_DECLARE_FINAL_TYPE(RcEmbeddedBus, rc_embedded_bus, RC, EMBEDDED_BUS, RcBus)

RcBus *rc_embedded_bus_new(RcConfig *config);

G_END_DECLS
