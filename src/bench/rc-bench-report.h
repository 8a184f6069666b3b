/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <stdio.h>

#include "rc-bench-runner.h"

G_BEGIN_DECLS

/* the human table: one header, then one row per step */
void rc_bench_report_print_header(FILE *out);
void rc_bench_report_print_step(FILE *out, const gchar *mode, const RcBenchStepResult *r);
/* lines starting with '#' below a row: what looks wrong about the step (nothing when fine) */
void rc_bench_report_print_warnings(FILE *out, const RcBenchStepResult *r);

/* adds every figure of @r as members of the object @builder is building */
void rc_bench_report_add_step(JsonBuilder *builder, const RcBenchStepResult *r);
/* the finished object of @builder as one line of compact JSON */
gchar *rc_bench_report_to_line(JsonBuilder *builder);

G_END_DECLS
