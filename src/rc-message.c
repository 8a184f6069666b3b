/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcMessage"

#include "config.h"

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
	gint64 ts;
	GBytes *client_frame;
	GBytes *ws_frame;
	GBytes *payload;
};

G_DEFINE_BOXED_TYPE(RcMessage, rc_message, rc_message_ref, rc_message_unref)

RcMessage *
rc_message_new(const gchar *ns,
	       const gchar *room_code,
	       const gchar *sender,
	       const gchar *text,
	       const gchar *id,
	       gint64 ts,
	       const gchar *origin)
{
	RcMessage *self = g_new0(RcMessage, 1);
	g_atomic_ref_count_init(&self->ref_count);
	self->ns = g_strdup(ns);
	self->room_code = g_strdup(room_code);
	self->sender = g_strdup(sender);
	self->text = g_strdup(text);
	self->id = g_strdup(id);
	self->ts = ts;
	self->origin = g_strdup(origin);
	return self;
}

RcMessage *
rc_message_ref(RcMessage *self)
{
	g_atomic_ref_count_inc(&self->ref_count);
	return self;
}

void
rc_message_unref(RcMessage *self)
{
	if (!g_atomic_ref_count_dec(&self->ref_count))
		return;
	g_free(self->ns);
	g_free(self->room_code);
	g_free(self->sender);
	g_free(self->text);
	g_free(self->id);
	g_free(self->origin);
	g_clear_pointer(&self->client_frame, g_bytes_unref);
	g_clear_pointer(&self->ws_frame, g_bytes_unref);
	g_clear_pointer(&self->payload, g_bytes_unref);
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

void
rc_message_set_id(RcMessage *self, const gchar *id)
{
	g_free(self->id);
	self->id = g_strdup(id);
	g_clear_pointer(&self->client_frame, g_bytes_unref);
	g_clear_pointer(&self->ws_frame, g_bytes_unref);
	g_clear_pointer(&self->payload, g_bytes_unref);
}

void
rc_message_set_ts(RcMessage *self, gint64 ts)
{
	self->ts = ts;
	g_clear_pointer(&self->client_frame, g_bytes_unref);
	g_clear_pointer(&self->ws_frame, g_bytes_unref);
	g_clear_pointer(&self->payload, g_bytes_unref);
}

static void
rc_message_append_common(RcMessage *self, GString *s)
{
	g_string_append(s, "\"namespace\":");
	rc_protocol_append_json_string(s, self->ns);
	g_string_append(s, ",\"roomCode\":");
	rc_protocol_append_json_string(s, self->room_code);
	g_string_append(s, ",\"id\":");
	rc_protocol_append_json_string(s, self->id);
	g_string_append_printf(s, ",\"ts\":%" G_GINT64_FORMAT ",\"msg\":{\"sender\":", self->ts);
	rc_protocol_append_json_string(s, self->sender);
	g_string_append(s, ",\"text\":");
	rc_protocol_append_json_string(s, self->text);
	g_string_append_c(s, '}');
}

GBytes *
rc_message_get_client_frame(RcMessage *self)
{
	if (self->client_frame == NULL) {
		GString *s = g_string_sized_new(128 + strlen(self->text));
		g_string_append(s, "{\"type\":\"MSG_TO_CLIENTS\",");
		rc_message_append_common(self, s);
		g_string_append_c(s, '}');
		self->client_frame = g_string_free_to_bytes(s);
	}
	return self->client_frame;
}

GBytes *
rc_message_get_ws_frame(RcMessage *self)
{
	if (self->ws_frame == NULL) {
		GBytes *json = rc_message_get_client_frame(self);
		self->ws_frame = rc_protocol_ws_text_frame(g_bytes_get_data(json, NULL),
							   g_bytes_get_size(json));
	}
	return self->ws_frame;
}

GBytes *
rc_message_get_payload(RcMessage *self)
{
	if (self->payload == NULL) {
		GString *s = g_string_sized_new(128 + strlen(self->text));
		g_string_append_c(s, '{');
		rc_message_append_common(self, s);
		if (self->origin != NULL) {
			g_string_append(s, ",\"origin\":");
			rc_protocol_append_json_string(s, self->origin);
		}
		g_string_append_c(s, '}');
		self->payload = g_string_free_to_bytes(s);
	}
	return self->payload;
}
