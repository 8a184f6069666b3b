/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestBus"

#include "config.h"

#include "bus/rc-embedded-bus.h"
#include "rc-config.h"

/* RcBus' publish, on the embedded bus: the callback comes once, from the main
 * loop and never from inside rc_bus_publish(), after the message function has
 * had the message, with the message's offset set. */

typedef struct {
	guint done;
	guint heard; /* calls of the message function */
	guint heard_at_done;
	guint64 offset;
	gboolean failed;
} Publish;

static void
message_cb(RcBus *bus, RcMessage *msg, gpointer user_data)
{
	Publish *p = user_data;
	p->heard++;
}

static void
published_cb(RcBus *bus, RcMessage *msg, const GError *error, gpointer user_data)
{
	Publish *p = user_data;
	p->done++;
	p->heard_at_done = p->heard;
	p->failed = error != NULL;
	p->offset = rc_message_get_offset(msg);
}

static void
test_bus_publish_answers_later(void)
{
	g_autoptr(RcConfig) config = rc_config_new();
	g_autoptr(RcBus) bus = rc_embedded_bus_new(config);
	g_autoptr(GError) error = NULL;
	Publish p = {0};

	g_assert_true(rc_bus_start(bus, &error));
	g_assert_no_error(error);
	rc_bus_set_message_func(bus, message_cb, &p);
	for (guint i = 1; i <= 3; i++) {
		g_autoptr(RcMessage) msg = rc_message_new("/", "r1", "bob", "hi", "id-1", 1, "n0");
		guint before = p.done;

		rc_bus_publish(bus, msg, NULL, published_cb, &p);
		/* the embedded bus is done at once: the answer still waits for the loop */
		g_assert_cmpuint(p.done, ==, before);
		while (p.done == before)
			g_main_context_iteration(NULL, TRUE);
		g_assert_cmpuint(p.done, ==, i);
		g_assert_false(p.failed);
		g_assert_cmpuint(p.heard_at_done, ==, i);
		g_assert_cmpuint(p.offset, ==, i);
	}
	/* once each */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpuint(p.done, ==, 3);
	rc_bus_stop(bus);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bus/publish/answers-later", test_bus_publish_answers_later);
	return g_test_run();
}
