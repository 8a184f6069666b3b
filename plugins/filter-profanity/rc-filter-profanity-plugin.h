/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <roomcast-plugin.h>

G_BEGIN_DECLS

/* filter-profanity: masks or rejects messages holding a word from a word list */
#define RC_TYPE_FILTER_PROFANITY_PLUGIN (rc_filter_profanity_plugin_get_type())
G_DECLARE_FINAL_TYPE(
    RcFilterProfanityPlugin, rc_filter_profanity_plugin, RC, FILTER_PROFANITY_PLUGIN, RcPlugin)

G_END_DECLS
