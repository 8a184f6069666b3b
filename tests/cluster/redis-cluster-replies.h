/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

/*
 * Replies of a real Redis 7.0.15 cluster (Debian's redis-server), byte for
 * byte as they came off the socket: six nodes on 127.0.0.1 made by
 * scripts/redis-cluster.sh (three on ::1 for the IPv6 ones), each command
 * sent as RESP2 over a raw TCP connection and the answer kept whole.
 *
 *  reply_*_ok        settled cluster: masters 20324-20326, replicas online
 *  *_fresh     the same moments after creation: Redis calls replicas that
 *              have not received a byte of the replication stream "loading"
 *              in CLUSTER SHARDS and leaves them out of CLUSTER SLOTS
 *  *_unknown   cluster-preferred-endpoint-type unknown-endpoint: endpoint ""
 *              in CLUSTER SHARDS, nil plus {"ip": ...} in CLUSTER SLOTS
 *  *_qmark     cluster-preferred-endpoint-type hostname with no hostname
 *              announced: endpoint "?"
 *  *_hostname  slot 100 moved to the second master (so two shards have two
 *              ranges) and node 21698 announcing hostname node-a.example
 *  *_failed    master 21700 SIGKILLed and marked failed ("health" is "fail",
 *              although the documentation says "failed"), its replica not
 *              promoted yet
 *  *_after     the replica 21701 promoted; the dead master stays listed as a
 *              shard of its own, serving no slot
 *  *_v6        three masters on ::1
 *  shards_disabled  CLUSTER SHARDS to a redis-server without cluster support
 *  moved...    GET foo (slot 12182) to a node that does not serve it; with
 *              unknown endpoints ":PORT", with hostnames and none set "?:PORT",
 *              over IPv6 a bare "::1:PORT"
 *  ask         GET foo to the owner of slot 12182 while the slot migrates
 *  crossslot   SSUBSCRIBE of two channels in different slots
 */

#include <glib.h>

static const gchar reply_shards_ok[] =
    "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\n"
    "id\r\n$40\r\n84a090fe5442d516be55968845a7cad16b92ef42\r\n$4\r\nport\r\n:20324\r\n"
    "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:126\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n*14\r\n$2\r\nid\r\n$40\r\n20d8a28468bb2e77a9d4128594c0a02b2fb56455\r\n"
    "$4\r\nport\r\n:20329\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n"
    "127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:126\r\n"
    "$6\r\nhealth\r\n$6\r\nonline\r\n*4\r\n$5\r\nslots\r\n*2\r\n:10923\r\n:16383\r\n"
    "$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "8eaae4422040c45cdf17031dbdf0b4fd5d2d22c3\r\n$4\r\nport\r\n:20326\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:126\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n484b0dcf2329392f4153a8494330ac3caf2b0bb1\r\n$4\r\nport\r\n"
    ":20328\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:126\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n*4\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n*2\r\n*14\r\n"
    "$2\r\nid\r\n$40\r\n8ec0982bcfb559ef0b1006bcf9afa26142a4658e\r\n$4\r\nport\r\n"
    ":20325\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:126\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n*14\r\n$2\r\nid\r\n$40\r\nc1132ea7b13b1cb62118933b46e16a4456ffe3a7\r\n"
    "$4\r\nport\r\n:20327\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n"
    "127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:126\r\n"
    "$6\r\nhealth\r\n$6\r\nonline\r\n";

static const gchar reply_slots_ok[] =
    "*3\r\n*4\r\n:0\r\n:5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:20324\r\n$40\r\n"
    "84a090fe5442d516be55968845a7cad16b92ef42\r\n*0\r\n*4\r\n$9\r\n127.0.0.1\r\n"
    ":20329\r\n$40\r\n20d8a28468bb2e77a9d4128594c0a02b2fb56455\r\n*0\r\n*4\r\n:5461\r\n"
    ":10922\r\n*4\r\n$9\r\n127.0.0.1\r\n:20325\r\n$40\r\n"
    "8ec0982bcfb559ef0b1006bcf9afa26142a4658e\r\n*0\r\n*4\r\n$9\r\n127.0.0.1\r\n"
    ":20327\r\n$40\r\nc1132ea7b13b1cb62118933b46e16a4456ffe3a7\r\n*0\r\n*4\r\n:10923\r\n"
    ":16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:20326\r\n$40\r\n"
    "8eaae4422040c45cdf17031dbdf0b4fd5d2d22c3\r\n*0\r\n*4\r\n$9\r\n127.0.0.1\r\n"
    ":20328\r\n$40\r\n484b0dcf2329392f4153a8494330ac3caf2b0bb1\r\n*0\r\n";

static const gchar reply_shards_fresh[] =
    "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\n"
    "id\r\n$40\r\n81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n$4\r\nport\r\n:21698\r\n"
    "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n28ba1de162c8207f8e7ea2f9c9f4fafa371c6f8c\r\n$4\r\nport\r\n"
    ":21702\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\n"
    "loading\r\n*4\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n*2\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n4b22f2c930baad72037917ce69df22bd1053d191\r\n$4\r\nport\r\n"
    ":21699\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n*14\r\n$2\r\nid\r\n$40\r\n2ff4e2eb20e6b76fe205cc7da4e09043e084fa05\r\n"
    "$4\r\nport\r\n:21703\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n"
    "127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n"
    "$6\r\nhealth\r\n$7\r\nloading\r\n*4\r\n$5\r\nslots\r\n*2\r\n:10923\r\n:16383\r\n"
    "$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "e1ee50287a7cef8a913d874c317d5316092ca238\r\n$4\r\nport\r\n:21700\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n"
    "$2\r\nid\r\n$40\r\n4e49a1c05be7258fdbef56ef7fe884ff067163ab\r\n$4\r\nport\r\n"
    ":21701\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\n"
    "loading\r\n";

static const gchar reply_slots_fresh[] =
    "*3\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:21698\r\n$40\r\n"
    "81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n*0\r\n*3\r\n:5461\r\n:10922\r\n*4\r\n"
    "$9\r\n127.0.0.1\r\n:21699\r\n$40\r\n4b22f2c930baad72037917ce69df22bd1053d191\r\n"
    "*0\r\n*3\r\n:10923\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:21700\r\n$40\r\n"
    "e1ee50287a7cef8a913d874c317d5316092ca238\r\n*0\r\n";

static const gchar reply_shards_unknown[] =
    "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\n"
    "id\r\n$40\r\n81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n$4\r\nport\r\n:21698\r\n"
    "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n"
    "$2\r\nid\r\n$40\r\n28ba1de162c8207f8e7ea2f9c9f4fafa371c6f8c\r\n$4\r\nport\r\n"
    ":21702\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n"
    "$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\n"
    "loading\r\n*4\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n*2\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n4b22f2c930baad72037917ce69df22bd1053d191\r\n$4\r\nport\r\n"
    ":21699\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n2ff4e2eb20e6b76fe205cc7da4e09043e084fa05\r\n$4\r\nport\r\n"
    ":21703\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n"
    "$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\n"
    "loading\r\n*4\r\n$5\r\nslots\r\n*2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\ne1ee50287a7cef8a913d874c317d5316092ca238\r\n$4\r\nport\r\n"
    ":21700\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n4e49a1c05be7258fdbef56ef7fe884ff067163ab\r\n$4\r\nport\r\n"
    ":21701\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n"
    "$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\n"
    "loading\r\n";

static const gchar reply_slots_unknown[] =
    "*3\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$-1\r\n:21698\r\n$40\r\n"
    "81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "*3\r\n:5461\r\n:10922\r\n*4\r\n$-1\r\n:21699\r\n$40\r\n"
    "4b22f2c930baad72037917ce69df22bd1053d191\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "*3\r\n:10923\r\n:16383\r\n*4\r\n$-1\r\n:21700\r\n$40\r\n"
    "e1ee50287a7cef8a913d874c317d5316092ca238\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n";

static const gchar reply_shards_qmark[] =
    "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\n"
    "id\r\n$40\r\n81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n$4\r\nport\r\n:21698\r\n"
    "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n"
    "$2\r\nid\r\n$40\r\n28ba1de162c8207f8e7ea2f9c9f4fafa371c6f8c\r\n$4\r\nport\r\n"
    ":21702\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n"
    "$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\n"
    "loading\r\n*4\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n*2\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n4b22f2c930baad72037917ce69df22bd1053d191\r\n$4\r\nport\r\n"
    ":21699\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n2ff4e2eb20e6b76fe205cc7da4e09043e084fa05\r\n$4\r\nport\r\n"
    ":21703\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n"
    "$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\n"
    "loading\r\n*4\r\n$5\r\nslots\r\n*2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\ne1ee50287a7cef8a913d874c317d5316092ca238\r\n$4\r\nport\r\n"
    ":21700\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n4e49a1c05be7258fdbef56ef7fe884ff067163ab\r\n$4\r\nport\r\n"
    ":21701\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n"
    "$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\n"
    "loading\r\n";

static const gchar reply_slots_qmark[] =
    "*3\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$1\r\n?\r\n:21698\r\n$40\r\n"
    "81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "*3\r\n:5461\r\n:10922\r\n*4\r\n$1\r\n?\r\n:21699\r\n$40\r\n"
    "4b22f2c930baad72037917ce69df22bd1053d191\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "*3\r\n:10923\r\n:16383\r\n*4\r\n$1\r\n?\r\n:21700\r\n$40\r\n"
    "e1ee50287a7cef8a913d874c317d5316092ca238\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n";

static const gchar reply_shards_hostname[] =
    "*3\r\n*4\r\n$5\r\nslots\r\n*4\r\n:0\r\n:99\r\n:101\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n"
    "*16\r\n$2\r\nid\r\n$40\r\n81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n$4\r\nport\r\n"
    ":21698\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\n"
    "hostname\r\n$14\r\nnode-a.example\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n"
    "$40\r\n28ba1de162c8207f8e7ea2f9c9f4fafa371c6f8c\r\n$4\r\nport\r\n:21702\r\n$2\r\n"
    "ip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\n"
    "replica\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*4\r\n$5\r\nslots\r\n*2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\n"
    "id\r\n$40\r\ne1ee50287a7cef8a913d874c317d5316092ca238\r\n$4\r\nport\r\n:21700\r\n"
    "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n4e49a1c05be7258fdbef56ef7fe884ff067163ab\r\n$4\r\nport\r\n"
    ":21701\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n*4\r\n$5\r\nslots\r\n*4\r\n:100\r\n:100\r\n:5461\r\n:10922\r\n$5\r\n"
    "nodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "4b22f2c930baad72037917ce69df22bd1053d191\r\n$4\r\nport\r\n:21699\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n2ff4e2eb20e6b76fe205cc7da4e09043e084fa05\r\n$4\r\nport\r\n"
    ":21703\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n";

static const gchar reply_slots_hostname[] =
    "*5\r\n*4\r\n:0\r\n:99\r\n*4\r\n$9\r\n127.0.0.1\r\n:21698\r\n$40\r\n"
    "81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n*2\r\n$8\r\nhostname\r\n$14\r\n"
    "node-a.example\r\n*4\r\n$9\r\n127.0.0.1\r\n:21702\r\n$40\r\n"
    "28ba1de162c8207f8e7ea2f9c9f4fafa371c6f8c\r\n*0\r\n*4\r\n:100\r\n:100\r\n*4\r\n$9\r\n"
    "127.0.0.1\r\n:21699\r\n$40\r\n4b22f2c930baad72037917ce69df22bd1053d191\r\n*0\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:21703\r\n$40\r\n"
    "2ff4e2eb20e6b76fe205cc7da4e09043e084fa05\r\n*0\r\n*4\r\n:101\r\n:5460\r\n*4\r\n"
    "$9\r\n127.0.0.1\r\n:21698\r\n$40\r\n81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n"
    "*2\r\n$8\r\nhostname\r\n$14\r\nnode-a.example\r\n*4\r\n$9\r\n127.0.0.1\r\n:21702\r\n"
    "$40\r\n28ba1de162c8207f8e7ea2f9c9f4fafa371c6f8c\r\n*0\r\n*4\r\n:5461\r\n:10922\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:21699\r\n$40\r\n"
    "4b22f2c930baad72037917ce69df22bd1053d191\r\n*0\r\n*4\r\n$9\r\n127.0.0.1\r\n"
    ":21703\r\n$40\r\n2ff4e2eb20e6b76fe205cc7da4e09043e084fa05\r\n*0\r\n*4\r\n:10923\r\n"
    ":16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:21700\r\n$40\r\n"
    "e1ee50287a7cef8a913d874c317d5316092ca238\r\n*0\r\n*4\r\n$9\r\n127.0.0.1\r\n"
    ":21701\r\n$40\r\n4e49a1c05be7258fdbef56ef7fe884ff067163ab\r\n*0\r\n";

static const gchar reply_shards_failed[] =
    "*3\r\n*4\r\n$5\r\nslots\r\n*4\r\n:0\r\n:99\r\n:101\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n"
    "*16\r\n$2\r\nid\r\n$40\r\n81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n$4\r\nport\r\n"
    ":21698\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\n"
    "hostname\r\n$14\r\nnode-a.example\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n"
    "$40\r\n28ba1de162c8207f8e7ea2f9c9f4fafa371c6f8c\r\n$4\r\nport\r\n:21702\r\n$2\r\n"
    "ip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\n"
    "replica\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*4\r\n$5\r\nslots\r\n*4\r\n:100\r\n:100\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n*2\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n4b22f2c930baad72037917ce69df22bd1053d191\r\n$4\r\nport\r\n"
    ":21699\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n*14\r\n$2\r\nid\r\n$40\r\n2ff4e2eb20e6b76fe205cc7da4e09043e084fa05\r\n"
    "$4\r\nport\r\n:21703\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n"
    "127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:28\r\n"
    "$6\r\nhealth\r\n$6\r\nonline\r\n*4\r\n$5\r\nslots\r\n*2\r\n:10923\r\n:16383\r\n"
    "$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "e1ee50287a7cef8a913d874c317d5316092ca238\r\n$4\r\nport\r\n:21700\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$4\r\nfail\r\n*14\r\n"
    "$2\r\nid\r\n$40\r\n4e49a1c05be7258fdbef56ef7fe884ff067163ab\r\n$4\r\nport\r\n"
    ":21701\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n";

static const gchar reply_slots_failed[] =
    "*5\r\n*4\r\n:0\r\n:99\r\n*4\r\n$9\r\n127.0.0.1\r\n:21698\r\n$40\r\n"
    "81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n*2\r\n$8\r\nhostname\r\n$14\r\n"
    "node-a.example\r\n*4\r\n$9\r\n127.0.0.1\r\n:21702\r\n$40\r\n"
    "28ba1de162c8207f8e7ea2f9c9f4fafa371c6f8c\r\n*0\r\n*4\r\n:100\r\n:100\r\n*4\r\n$9\r\n"
    "127.0.0.1\r\n:21699\r\n$40\r\n4b22f2c930baad72037917ce69df22bd1053d191\r\n*0\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:21703\r\n$40\r\n"
    "2ff4e2eb20e6b76fe205cc7da4e09043e084fa05\r\n*0\r\n*4\r\n:101\r\n:5460\r\n*4\r\n"
    "$9\r\n127.0.0.1\r\n:21698\r\n$40\r\n81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n"
    "*2\r\n$8\r\nhostname\r\n$14\r\nnode-a.example\r\n*4\r\n$9\r\n127.0.0.1\r\n:21702\r\n"
    "$40\r\n28ba1de162c8207f8e7ea2f9c9f4fafa371c6f8c\r\n*0\r\n*4\r\n:5461\r\n:10922\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:21699\r\n$40\r\n"
    "4b22f2c930baad72037917ce69df22bd1053d191\r\n*0\r\n*4\r\n$9\r\n127.0.0.1\r\n"
    ":21703\r\n$40\r\n2ff4e2eb20e6b76fe205cc7da4e09043e084fa05\r\n*0\r\n*4\r\n:10923\r\n"
    ":16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:21700\r\n$40\r\n"
    "e1ee50287a7cef8a913d874c317d5316092ca238\r\n*0\r\n*4\r\n$9\r\n127.0.0.1\r\n"
    ":21701\r\n$40\r\n4e49a1c05be7258fdbef56ef7fe884ff067163ab\r\n*0\r\n";

static const gchar reply_shards_after[] =
    "*4\r\n*4\r\n$5\r\nslots\r\n*2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n*14\r\n"
    "$2\r\nid\r\n$40\r\n4e49a1c05be7258fdbef56ef7fe884ff067163ab\r\n$4\r\nport\r\n"
    ":21701\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n*4\r\n$5\r\nslots\r\n*4\r\n:0\r\n:99\r\n:101\r\n:5460\r\n$5\r\nnodes\r\n"
    "*2\r\n*16\r\n$2\r\nid\r\n$40\r\n81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n$4\r\n"
    "port\r\n:21698\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nhostname\r\n$14\r\nnode-a.example\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n28ba1de162c8207f8e7ea2f9c9f4fafa371c6f8c\r\n$4\r\nport\r\n"
    ":21702\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n*4\r\n$5\r\nslots\r\n*4\r\n:100\r\n:100\r\n:5461\r\n:10922\r\n$5\r\n"
    "nodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "4b22f2c930baad72037917ce69df22bd1053d191\r\n$4\r\nport\r\n:21699\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\n2ff4e2eb20e6b76fe205cc7da4e09043e084fa05\r\n$4\r\nport\r\n"
    ":21703\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "e1ee50287a7cef8a913d874c317d5316092ca238\r\n$4\r\nport\r\n:21700\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$4\r\nfail\r\n";

static const gchar reply_slots_after[] =
    "*5\r\n*4\r\n:0\r\n:99\r\n*4\r\n$9\r\n127.0.0.1\r\n:21698\r\n$40\r\n"
    "81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n*2\r\n$8\r\nhostname\r\n$14\r\n"
    "node-a.example\r\n*4\r\n$9\r\n127.0.0.1\r\n:21702\r\n$40\r\n"
    "28ba1de162c8207f8e7ea2f9c9f4fafa371c6f8c\r\n*0\r\n*4\r\n:100\r\n:100\r\n*4\r\n$9\r\n"
    "127.0.0.1\r\n:21699\r\n$40\r\n4b22f2c930baad72037917ce69df22bd1053d191\r\n*0\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:21703\r\n$40\r\n"
    "2ff4e2eb20e6b76fe205cc7da4e09043e084fa05\r\n*0\r\n*4\r\n:101\r\n:5460\r\n*4\r\n"
    "$9\r\n127.0.0.1\r\n:21698\r\n$40\r\n81b6de66fc47672dfa65a6bbc550ff8de12e088e\r\n"
    "*2\r\n$8\r\nhostname\r\n$14\r\nnode-a.example\r\n*4\r\n$9\r\n127.0.0.1\r\n:21702\r\n"
    "$40\r\n28ba1de162c8207f8e7ea2f9c9f4fafa371c6f8c\r\n*0\r\n*4\r\n:5461\r\n:10922\r\n"
    "*4\r\n$9\r\n127.0.0.1\r\n:21699\r\n$40\r\n"
    "4b22f2c930baad72037917ce69df22bd1053d191\r\n*0\r\n*4\r\n$9\r\n127.0.0.1\r\n"
    ":21703\r\n$40\r\n2ff4e2eb20e6b76fe205cc7da4e09043e084fa05\r\n*0\r\n*3\r\n:10923\r\n"
    ":16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:21701\r\n$40\r\n"
    "4e49a1c05be7258fdbef56ef7fe884ff067163ab\r\n*0\r\n";

static const gchar reply_shards_v6[] =
    "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n*1\r\n*14\r\n"
    "$2\r\nid\r\n$40\r\nce3cbd626fb7783f388502a67ff03a4e9d2f8520\r\n$4\r\nport\r\n"
    ":23001\r\n$2\r\nip\r\n$3\r\n::1\r\n$8\r\nendpoint\r\n$3\r\n::1\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*4\r\n$5\r\nslots\r\n*2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n*14\r\n$2\r\n"
    "id\r\n$40\r\nfbf5e96d00a0ab58eb6d66bc779146763e3df80c\r\n$4\r\nport\r\n:23002\r\n"
    "$2\r\nip\r\n$3\r\n::1\r\n$8\r\nendpoint\r\n$3\r\n::1\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*4\r\n"
    "$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*1\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "a71119aea277ef7405610b66c343a807c97253cf\r\n$4\r\nport\r\n:23000\r\n$2\r\nip\r\n"
    "$3\r\n::1\r\n$8\r\nendpoint\r\n$3\r\n::1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n";

static const gchar reply_slots_v6[] =
    "*3\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$3\r\n::1\r\n:23000\r\n$40\r\n"
    "a71119aea277ef7405610b66c343a807c97253cf\r\n*0\r\n*3\r\n:5461\r\n:10922\r\n*4\r\n"
    "$3\r\n::1\r\n:23001\r\n$40\r\nce3cbd626fb7783f388502a67ff03a4e9d2f8520\r\n*0\r\n"
    "*3\r\n:10923\r\n:16383\r\n*4\r\n$3\r\n::1\r\n:23002\r\n$40\r\n"
    "fbf5e96d00a0ab58eb6d66bc779146763e3df80c\r\n*0\r\n";

static const gchar reply_shards_disabled[] = "-ERR This instance has cluster support disabled\r\n";

static const gchar reply_moved[] = "-MOVED 12182 127.0.0.1:21700\r\n";

static const gchar reply_moved_importing[] = "-MOVED 12182 127.0.0.1:21700\r\n";

static const gchar reply_ask[] = "-ASK 12182 127.0.0.1:21698\r\n";

static const gchar reply_moved_unknown[] = "-MOVED 12182 :21700\r\n";

static const gchar reply_moved_qmark[] = "-MOVED 12182 ?:21700\r\n";

static const gchar reply_moved_v6[] = "-MOVED 12182 ::1:23002\r\n";

static const gchar reply_crossslot[] = "-CROSSSLOT Keys in request don't hash to the same slot\r\n";
