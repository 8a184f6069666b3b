/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs a fuzz target over every file of its corpus, so the corpus (and every
 * crash found once) stays a regression test without clang.
 */
#include "config.h"

#include <glib.h>

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
main(int argc, char **argv)
{
	guint n = 0;
	for (gint i = 1; i < argc; i++) {
		g_autoptr(GDir) dir = g_dir_open(argv[i], 0, NULL);
		const gchar *name;
		g_assert_nonnull(dir);
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *path = g_build_filename(argv[i], name, NULL);
			g_autofree gchar *data = NULL;
			gsize len = 0;
			g_assert_true(g_file_get_contents(path, &data, &len, NULL));
			LLVMFuzzerTestOneInput((const guint8 *)data, len);
			n++;
		}
	}
	g_assert_cmpuint(n, >, 0);
	g_print("1..1\nok 1 - %u corpus files\n", n);
	return 0;
}
