/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the fuzz targets check against json-glib: every value roomcast's own reader
 * took out of an input must be the value json-glib reads there.
 */
#pragma once

#include <json-glib/json-glib.h>

/* the root object json-glib reads from @data; aborts when json-glib refuses what
 * our reader accepted */
static inline JsonObject *
rc_fuzz_json_root(const guint8 *data, gsize size)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;

	g_assert_true(json_parser_load_from_data(parser, (const gchar *)data, (gssize)size, NULL));
	root = json_parser_get_root(parser);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
	return json_object_ref(json_node_get_object(root));
}

/* the string member @name as json-glib sees it, @fallback when absent or null */
static inline const gchar *
rc_fuzz_json_string(JsonObject *object, const gchar *name, const gchar *fallback)
{
	JsonNode *node = json_object_get_member(object, name);
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return fallback;
	g_assert_true(JSON_NODE_HOLDS_VALUE(node));
	g_assert_cmpint(json_node_get_value_type(node), ==, G_TYPE_STRING);
	return json_node_get_string(node);
}

/* the integer member @name, @fallback when absent or null */
static inline gint64
rc_fuzz_json_int(JsonObject *object, const gchar *name, gint64 fallback)
{
	JsonNode *node = json_object_get_member(object, name);
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return fallback;
	g_assert_cmpint(json_node_get_value_type(node), ==, G_TYPE_INT64);
	return json_node_get_int(node);
}
