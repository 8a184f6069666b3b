/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcHistory"

#include "config.h"

#include "rc-history.h"

G_DEFINE_BOXED_TYPE(RcHistory, rc_history, rc_history_copy, rc_history_free)

RcHistory *
rc_history_new(const gchar *epoch, guint64 top)
{
	RcHistory *self = g_new0(RcHistory, 1);
	self->epoch = g_strdup(epoch != NULL ? epoch : "");
	self->top = top;
	self->messages = g_ptr_array_new_with_free_func((GDestroyNotify)rc_message_unref);
	return self;
}

RcHistory *
rc_history_copy(const RcHistory *self)
{
	RcHistory *copy = rc_history_new(self->epoch, self->top);
	for (guint i = 0; i < self->messages->len; i++)
		g_ptr_array_add(copy->messages, rc_message_ref(g_ptr_array_index(self->messages, i)));
	return copy;
}

void
rc_history_free(RcHistory *self)
{
	if (self == NULL)
		return;
	g_free(self->epoch);
	g_ptr_array_unref(self->messages);
	g_free(self);
}
