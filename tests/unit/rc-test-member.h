/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "rooms/rc-member.h"

G_BEGIN_DECLS

/* An RcMember for unit tests: it records what rooms and the engine do to it. */
#define RC_TYPE_TEST_MEMBER (rc_test_member_get_type())
G_DECLARE_FINAL_TYPE(RcTestMember, rc_test_member, RC, TEST_MEMBER, GObject)

RcTestMember *rc_test_member_new(const gchar *id, const gchar *sender, const gchar *const *globs);
/* the messages sent to it, in order (element-type RcMessage) */
GPtrArray *rc_test_member_get_messages(RcTestMember *self);
/* the presence events sent to it (element-type RcPresence) */
GPtrArray *rc_test_member_get_presence(RcTestMember *self);
/* "NS ROOM REASON" for every removed() call */
GPtrArray *rc_test_member_get_removals(RcTestMember *self);
/* the last close code, 0 when never closed */
guint rc_test_member_get_close_code(RcTestMember *self);
/* messages sent to it right after a prefetch() call */
guint rc_test_member_get_prefetched_sends(RcTestMember *self);

G_END_DECLS
