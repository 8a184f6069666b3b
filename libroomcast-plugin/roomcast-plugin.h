/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The one header a roomcast plugin includes.
 */
#pragma once

#include "rc-auth-request.h"
#include "rc-filter-message.h"
#include "rc-identity.h"
#include "rc-plugin-error.h"
#include "rc-plugin.h"
#include "rc-secret.h"
