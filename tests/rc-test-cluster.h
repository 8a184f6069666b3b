/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

/*
 * A real Redis Cluster for the tests: six redis-server processes on
 * 127.0.0.1 (three masters, one replica each; cluster-node-timeout 1000 ms, no
 * persistence), started and joined by the harness itself in a temporary
 * directory. Follows the conventions of rc-test-harness.h: timeouts in
 * milliseconds scaled by RC_TEST_TIMEOUT_SCALE, waits iterate the
 * thread-default main context, failures fail the test, and every node gets
 * PR_SET_PDEATHSIG=SIGKILL so none outlives the test program. When a test
 * aborts, the directory stays behind with the nodes' logs (the failure
 * messages name it); rc_test_cluster_free() removes it.
 *
 * Shards are numbered 0..2 by their initial slots (0-5460, 5461-10922,
 * 10923-16383). A node stays in its shard for good: after a failover the
 * promoted replica is the shard's master and the old master its replica
 * (down until rc_test_cluster_restart_node()).
 */

#include <hiredis/hiredis.h>

#include "rc-test-harness.h"

G_BEGIN_DECLS

#define RC_TEST_CLUSTER_N_MASTERS 3

typedef struct _RcTestCluster RcTestCluster;

/* Starts the six nodes on free ports, joins them, waits until every node says
 * cluster_state:ok, agrees on the layout and every replica is in sync. */
RcTestCluster *rc_test_cluster_new(void);

/* current master / replica port of shard @index */
guint16 rc_test_cluster_get_master_port(RcTestCluster *self, guint index);
guint16 rc_test_cluster_get_replica_port(RcTestCluster *self, guint index);
/* "127.0.0.1:M0,127.0.0.1:M1,127.0.0.1:M2,127.0.0.1:R0,127.0.0.1:R1,127.0.0.1:R2"
 * with the ports the cluster started with */
const gchar *rc_test_cluster_get_seeds(RcTestCluster *self);
/* the temporary directory with each node's redis-PORT.log and nodes-PORT.conf */
const gchar *rc_test_cluster_get_dir(RcTestCluster *self);
/* pid of the node on @port, 0 when it is not running */
GPid rc_test_cluster_get_pid(RcTestCluster *self, guint16 port);
/* the node's 40-digit cluster id */
const gchar *rc_test_cluster_get_node_id(RcTestCluster *self, guint16 port);

/* One command over a fresh connection to @port (argv as for redis-cli,
 * NULL-terminated), flattened like rc_test_redis_command(); fails the test on
 * connection errors or an error reply. */
gchar *rc_test_cluster_command(RcTestCluster *self, guint16 port, const gchar *first_arg, ...)
    G_GNUC_NULL_TERMINATED;
/* the same, returning the reply as hiredis parsed it, error replies included
 * (free with freeReplyObject); fails the test only when @port cannot be asked */
redisReply *rc_test_cluster_command_reply(RcTestCluster *self,
					  guint16 port,
					  const gchar *first_arg,
					  ...) G_GNUC_NULL_TERMINATED;

/* SIGKILLs the current master of shard @index and waits until it is gone. */
void rc_test_cluster_kill_master(RcTestCluster *self, guint index);
/* Waits until the replica of every master killed since the last call has
 * been promoted, every running node sees the new masters and says
 * cluster_state:ok with all 16384 slots ok. Fails the test after
 * @timeout_ms; returns how long it took, in milliseconds. */
guint rc_test_cluster_wait_failover(RcTestCluster *self, guint timeout_ms);
/* Starts a stopped node again with its old identity and waits until it is
 * back as a replica in sync with its shard's master. */
void rc_test_cluster_restart_node(RcTestCluster *self, guint16 port);
/* SIGKILLs the node on @port, master or replica, and waits until it is gone;
 * nothing else. A master killed this way while its replica runs is still
 * failed over by the cluster, but rc_test_cluster_wait_failover() does not
 * wait for that: use rc_test_cluster_kill_master() then. Killing a shard's
 * replica first and then its master loses the shard (its slots stay
 * unserved: the nodes run with cluster-require-full-coverage no, so the other
 * shards keep working while a majority of masters lives). */
void rc_test_cluster_kill_node(RcTestCluster *self, guint16 port);
/* Starts the stopped nodes of @ports (@n_ports of them) with their old
 * identities, then waits until the whole cluster is settled again, as after
 * creation: for nodes that cannot come back one at a time, such as a lost
 * shard's master and replica, or every node. */
void rc_test_cluster_restart_nodes(RcTestCluster *self, const guint16 *ports, guint n_ports);
/* whether the node on @port runs */
gboolean rc_test_cluster_is_running(RcTestCluster *self, guint16 port);

/* shard whose master serves @slot according to the first running master, or
 * -1 when that master knows no owner */
gint rc_test_cluster_master_for_slot(RcTestCluster *self, guint16 slot);
/* port of the master serving @slot as the node on @asked_port sees it (from
 * its CLUSTER NODES), 0 when it knows none */
guint16 rc_test_cluster_slot_owner_seen_by(RcTestCluster *self, guint16 asked_port, guint16 slot);
/* Moves @slot with its keys to the master of shard @to_index the way
 * `redis-cli --cluster reshard` does (SETSLOT IMPORTING and MIGRATING,
 * MIGRATE of the keys in batches, SETSLOT NODE on every master), then waits
 * until every running node sees the new owner. */
void rc_test_cluster_move_slot(RcTestCluster *self, guint16 slot, guint to_index);
/* The same, with the slot left migrating (and importing) for @hold_ms, the main
 * loop running, before the keys move: what a slow migration of many keys does to
 * the rooms whose keys have not moved yet. @first_key (or NULL) moves before the
 * pause, alone, leaving its room's keys split over two masters meanwhile. */
void rc_test_cluster_move_slot_held(RcTestCluster *self,
				    guint16 slot,
				    guint to_index,
				    guint hold_ms,
				    const gchar *first_key);

/* SIGKILLs every node, waits for them and removes the directory. */
void rc_test_cluster_free(RcTestCluster *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTestCluster, rc_test_cluster_free)

G_END_DECLS
