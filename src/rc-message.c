/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcMessage"

#include "config.h"

#include <string.h>

#include "protocol/rc-protocol.h"
#include "rc-message.h"

struct _RcMessage {
	gatomicrefcount ref_count;
	gchar *ns;
	gchar *room_code;
	gchar *sender;
	gchar *text;
	gchar *id;
	gchar *origin;
	gchar *epoch;
	gchar *id_owned; /* an id given after creation; else id is in strings */
	gint64 ts;
	gint64 accepted_at; /* monotonic µs; 0 until the engine has it */
	guint64 offset;
	GBytes *frames[RC_WIRE_N_FORMATS];
	GBytes *payload;
	/* the strings given at creation, one after the other: a message is one
	 * allocation, not seven, and is made once per message per node */
	gchar strings[];
};

G_DEFINE_BOXED_TYPE(RcMessage, rc_message, rc_message_ref, rc_message_unref)

/* @str (@size bytes with its NUL, or NULL) copied to *@p, which moves past it */
static gchar *
rc_message_put(gchar **p, const gchar *str, gsize size)
{
	gchar *at = *p;

	if (str == NULL)
		return NULL;
	memcpy(at, str, size);
	*p += size;
	return at;
}

RcMessage *
rc_message_new(const gchar *ns,
	       const gchar *room_code,
	       const gchar *sender,
	       const gchar *text,
	       const gchar *id,
	       gint64 ts,
	       const gchar *origin)
{
	const gchar *in[] = {ns, room_code, sender, text, id, origin};
	gsize lens[G_N_ELEMENTS(in)];
	gsize total = 0;
	RcMessage *self;
	gchar *p;

	for (guint i = 0; i < G_N_ELEMENTS(in); i++) {
		lens[i] = in[i] != NULL ? strlen(in[i]) + 1 : 0;
		total += lens[i];
	}
	self = g_malloc0(sizeof(RcMessage) + total);
	p = self->strings;
	self->ns = rc_message_put(&p, ns, lens[0]);
	self->room_code = rc_message_put(&p, room_code, lens[1]);
	self->sender = rc_message_put(&p, sender, lens[2]);
	self->text = rc_message_put(&p, text, lens[3]);
	self->id = rc_message_put(&p, id, lens[4]);
	self->origin = rc_message_put(&p, origin, lens[5]);
	g_atomic_ref_count_init(&self->ref_count);
	self->ts = ts;
	return self;
}

RcMessage *
rc_message_ref(RcMessage *self)
{
	g_atomic_ref_count_inc(&self->ref_count);
	return self;
}

static void
rc_message_drop_frames(RcMessage *self)
{
	for (guint i = 0; i < RC_WIRE_N_FORMATS; i++)
		g_clear_pointer(&self->frames[i], g_bytes_unref);
	g_clear_pointer(&self->payload, g_bytes_unref);
}

void
rc_message_unref(RcMessage *self)
{
	if (!g_atomic_ref_count_dec(&self->ref_count))
		return;
	g_free(self->id_owned);
	g_free(self->epoch);
	rc_message_drop_frames(self);
	g_free(self);
}

const gchar *
rc_message_get_namespace(RcMessage *self)
{
	return self->ns;
}

const gchar *
rc_message_get_room_code(RcMessage *self)
{
	return self->room_code;
}

const gchar *
rc_message_get_sender(RcMessage *self)
{
	return self->sender;
}

const gchar *
rc_message_get_text(RcMessage *self)
{
	return self->text;
}

gint64
rc_message_get_accepted_at(RcMessage *self)
{
	return self->accepted_at;
}

void
rc_message_set_accepted_at(RcMessage *self, gint64 accepted_at)
{
	self->accepted_at = accepted_at;
}

const gchar *
rc_message_get_id(RcMessage *self)
{
	return self->id;
}

gint64
rc_message_get_ts(RcMessage *self)
{
	return self->ts;
}

const gchar *
rc_message_get_origin(RcMessage *self)
{
	return self->origin;
}

guint64
rc_message_get_offset(RcMessage *self)
{
	return self->offset;
}

const gchar *
rc_message_get_epoch(RcMessage *self)
{
	return self->epoch;
}

void
rc_message_set_id(RcMessage *self, const gchar *id)
{
	gchar *old = self->id_owned;
	self->id = self->id_owned = g_strdup(id);
	g_free(old);
	rc_message_drop_frames(self);
}

void
rc_message_set_ts(RcMessage *self, gint64 ts)
{
	self->ts = ts;
	rc_message_drop_frames(self);
}

void
rc_message_set_offset(RcMessage *self, const gchar *epoch, guint64 offset)
{
	g_free(self->epoch);
	self->epoch = offset > 0 ? g_strdup(epoch) : NULL;
	self->offset = offset;
	rc_message_drop_frames(self);
}

GBytes *
rc_message_peek_frame(RcMessage *self, RcWireFormat format)
{
	return self->frames[format];
}

GBytes *
rc_message_set_frame(RcMessage *self, RcWireFormat format, GBytes *frame)
{
	g_clear_pointer(&self->frames[format], g_bytes_unref);
	self->frames[format] = g_bytes_ref(frame);
	return frame;
}

GBytes *
rc_message_get_payload(RcMessage *self)
{
	if (self->payload == NULL)
		self->payload = rc_protocol_build_payload(self);
	return self->payload;
}
