/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

#include "rc-message.h"

G_BEGIN_DECLS

/* Where a room stands and a run of its stored messages, as the bus reads them in
 * one step: the room's epoch ("" when it has none yet), its latest offset (0 for
 * none) and the messages asked for, oldest first. */
typedef struct {
	gchar *epoch;
	guint64 top;
	GPtrArray *messages; /* RcMessage */
} RcHistory;

#define RC_TYPE_HISTORY (rc_history_get_type())
GType rc_history_get_type(void);

RcHistory *rc_history_new(const gchar *epoch, guint64 top);
RcHistory *rc_history_copy(const RcHistory *self);
void rc_history_free(RcHistory *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcHistory, rc_history_free)

/* What to read: messages with after < offset < before (before 0: no bound), at most
 * @limit of them (0: none, only where the room stands), the newest of the range
 * when @newest, else the oldest. @ensure_epoch gives a room without one its epoch
 * now (a join does; a mere look does not). */
typedef struct {
	guint64 after;
	guint64 before;
	guint limit;
	gboolean newest;
	gboolean ensure_epoch;
} RcHistoryRange;

G_END_DECLS
