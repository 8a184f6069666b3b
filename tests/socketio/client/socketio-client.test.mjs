// Copyright 2026 roomcast developers
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// roomcast's /socket.io/ with the real socket.io-client from npm (pinned in package-lock.json),
// against a real redis-server and real roomcastd nodes, all started here. Each step is written
// the way an app written for a socket.io server uses the client.
//
// Environment (set by tests/socketio/meson.build):
//   ROOMCASTD             path of the roomcastd binary
//   ROOMCAST_BUILD_ROOT   meson build root (plugins are looked up in BUILD/plugins/NAME/)
//   ROOMCAST_SOCKETIO_TESTS_REQUIRED=1  fail instead of skipping when node_modules or
//                         redis-server are missing
//   RC_TEST_TIMEOUT_SCALE multiplies the timeouts (sanitizer and valgrind builds)
//   RC_TEST_DAEMON_WRAPPER runs every roomcastd under it (e.g. valgrind); a node that exits
//                         with 99 (valgrind's error exit) fails the test
//
// Exit status: 0 pass, 1 fail, 77 skipped.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const SKIP = 77;
const REQUIRED = process.env.ROOMCAST_SOCKETIO_TESTS_REQUIRED === '1';
const ROOMCASTD = process.env.ROOMCASTD;
const BUILD_ROOT = process.env.ROOMCAST_BUILD_ROOT;
const WRAPPER = (process.env.RC_TEST_DAEMON_WRAPPER || '').split(' ').filter((w) => w !== '');
const SCALE = Math.max(1, Number(process.env.RC_TEST_TIMEOUT_SCALE) || 1);
const STEP_TIMEOUT_MS = 10000 * SCALE;
const TOTAL_TIMEOUT_MS = 170000 * SCALE;

function skip(why) {
  if (REQUIRED) {
    console.log(`Bail out! ${why} (the socket.io client tests are required)`);
    process.exit(1);
  }
  console.log(`1..0 # SKIP ${why}`);
  process.exit(SKIP);
}

function which(name) {
  for (const dir of (process.env.PATH || '').split(':')) {
    const p = path.join(dir || '.', name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* keep looking */ }
  }
  return null;
}

if (!ROOMCASTD || !BUILD_ROOT) {
  console.log('Bail out! ROOMCASTD and ROOMCAST_BUILD_ROOT must be set (run through meson test)');
  process.exit(1);
}
let io, Manager, WebSocket;
try {
  ({ io, Manager } = await import('socket.io-client'));
  ({ default: WebSocket } = await import('ws'));
} catch {
  skip('socket.io-client missing (run npm ci in tests/socketio/client)');
}
const REDIS_SERVER = which('redis-server');
if (!REDIS_SERVER) skip('redis-server not installed');

// ---- processes: everything started here is stopped on any exit -----------------------------

const children = new Set();
const tmpDirs = [];

function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch { /* already gone */ }
  }
  children.clear();
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.log(`Bail out! got ${sig}`);
    process.exit(1);
  });
}
const globalTimer = setTimeout(() => {
  console.log(`Bail out! the whole test took longer than ${TOTAL_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TOTAL_TIMEOUT_MS);

function tmpDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function startProcess(name, cmd, args, re, { timeoutMs = STEP_TIMEOUT_MS * 2, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    children.add(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      reject(new Error(`${name} did not start within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    });
    child.stderr.on('data', (d) => {
      err += d;
      if (process.env.ROOMCAST_TEST_VERBOSE) process.stderr.write(`[${name}] ${d}`);
    });
    child.on('exit', (code, signal) => {
      children.delete(child);
      clearTimeout(timer);
      child.stderrText = err;
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready\nstdout: ${out}\nstderr: ${err}`));
    });
    child.stderrOf = () => err;
  });
}

function stopProcess(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode ?? child.signalCode);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000 * SCALE);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve(code ?? signal);
    });
    child.kill('SIGTERM');
  });
}

async function startRedis() {
  const port = await freePort();
  const dir = tmpDir('rc-redis-');
  const { child } = await startProcess('redis-server', REDIS_SERVER, [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--loglevel', 'notice',
  ], /Ready to accept connections/);
  return { child, port };
}

const LISTEN_RE = /roomcastd: listening on http:\/\/([0-9.]+):([0-9]+)\//;

async function startNode(name, { redisPort, port = 0, config = '', pluginDir = null, dbus = null }) {
  const dir = tmpDir(`rc-${name}-`);
  const confPath = path.join(dir, 'roomcast.conf');
  fs.writeFileSync(confPath, config);
  const args = ['--port', String(port), '--bus', dbus ? 'session' : 'none',
    '--redis', `redis://127.0.0.1:${redisPort}`, '--node-id', name, '--config', confPath,
    '--plugin-dir', pluginDir || path.join(dir, 'no-plugins')];
  const [cmd, ...pre] = WRAPPER.length > 0 ? [...WRAPPER, ROOMCASTD] : [ROOMCASTD];
  const env = dbus ? { ...process.env, DBUS_SESSION_BUS_ADDRESS: dbus.address } : process.env;
  const { child, match } = await startProcess(name, cmd, [...pre, ...args], LISTEN_RE, { env });
  const node = { name, child, port: Number(match[2]), url: `http://${match[1]}:${match[2]}` };
  await waitFor(async () => {
    const r = await fetch(`${node.url}/healthz`);
    return r.status === 200 && (await r.json()).redis === 'connected';
  }, `${name} connected to Redis`);
  return node;
}

async function stopNode(node) {
  const status = await stopProcess(node.child);
  assert.equal(status, 0, `${node.name} exits with 0 on SIGTERM (99: valgrind found errors)`);
}

// a private session bus for the D-Bus admin API (none when dbus-daemon is missing)
async function startDbus() {
  if (!which('dbus-daemon') || !which('gdbus')) {
    if (REQUIRED) throw new Error('dbus-daemon and gdbus are needed');
    return null;
  }
  const { child, match } = await startProcess('dbus-daemon', 'dbus-daemon',
    ['--session', '--nofork', '--print-address=1'], /^(unix:\S+)\n/m);
  return { child, address: match[1] };
}

function gdbus(address, method, ...args) {
  return new Promise((resolve, reject) => {
    execFile('gdbus', ['call', '--session', '--dest', 'org.roomcast', '--object-path', '/org/roomcast',
      '--method', `org.roomcast.Daemon.${method}`, ...args],
    { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address }, timeout: STEP_TIMEOUT_MS },
    (err, stdout, stderr) => (err ? reject(new Error(`gdbus ${method}: ${stderr || err}`)) : resolve(stdout)));
  });
}

// ---- helpers ---------------------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(pred, what, timeoutMs = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await pred()) return;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function once(emitter, event, what = event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), STEP_TIMEOUT_MS);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args.length > 1 ? args : args[0]);
    });
  });
}

// emit with an ack, as apps do: the ack's first argument
function call(socket, ...args) {
  return socket.timeout(STEP_TIMEOUT_MS).emitWithAck(...args);
}

const sockets = new Set();
function connect(node, nsp, opts = {}) {
  const socket = io(`${node.url}${nsp}`, { forceNew: true, ...opts });
  sockets.add(socket);
  return socket;
}

async function connected(socket) {
  if (!socket.connected) await once(socket, 'connect', `connect of ${socket.nsp}`);
  return socket;
}

// every MSG_TO_CLIENTS of a socket: the message first, then where it belongs
function collect(socket) {
  const got = [];
  socket.on('MSG_TO_CLIENTS', (msg, meta) => got.push({ msg, meta }));
  return got;
}

// a /ws client of the node's own protocol, for the mixed rooms
function wsClient(node, sender) {
  const ws = new WebSocket(`${node.url.replace('http', 'ws')}/ws?sender=${sender}`);
  const frames = [];
  ws.on('message', (d) => frames.push(JSON.parse(d)));
  ws.frames = frames;
  ws.take = async (pred, what) => {
    await waitFor(() => frames.findIndex(pred) >= 0, what);
    return frames.splice(frames.findIndex(pred), 1)[0];
  };
  return ws;
}

let stepNo = 0;
async function step(title, fn) {
  stepNo += 1;
  try {
    await fn();
    console.log(`ok ${stepNo} - ${title}`);
  } catch (e) {
    console.log(`not ok ${stepNo} - ${title}`);
    throw e;
  }
}

// ---- the test --------------------------------------------------------------------------------

const work = tmpDir('rc-sio-');
let redis, nodeA, nodeB, nodeC, nodeD, dbus;
const CONFIG = '[limits]\nmax_rooms_per_client=3\nmax_text_bytes=64\n';

try {
  redis = await startRedis();
  const portA = await freePort();
  nodeA = await startNode('node-a', { redisPort: redis.port, port: portA, config: CONFIG });
  nodeB = await startNode('node-b', { redisPort: redis.port, config: CONFIG });

  await step('default options: long-polling first, then the upgrade to WebSocket', async () => {
    const s = connect(nodeA, '/chat', { auth: { sender: 'alice' } });
    const upgraded = once(s.io, 'open').then(() => once(s.io.engine, 'upgrade', 'the upgrade'));
    await connected(s);
    const transport = await upgraded;
    assert.equal(transport.name, 'websocket');
    assert.equal(s.io.engine.transport.name, 'websocket');
    const got = collect(s);
    assert.equal((await call(s, 'join', 'lobby')).joined, true);
    const ack = await call(s, 'send', { roomCode: 'lobby', text: 'hi é€ 😀' });
    await waitFor(() => got.length === 1, 'the echo');
    assert.deepEqual(got[0].msg, { sender: 'alice', text: 'hi é€ 😀' });
    assert.equal(got[0].meta.id, ack.id);
    assert.equal(got[0].meta.offset, ack.offset);
    s.disconnect();
  });

  for (const transports of [['websocket'], ['polling']]) {
    await step(`transports ${JSON.stringify(transports)}`, async () => {
      const s = await connected(connect(nodeA, '/chat', { transports, auth: { sender: 'tess' } }));
      const got = collect(s);
      assert.equal(s.io.engine.transport.name, transports[0]);
      await call(s, 'join', 'lobby');
      for (let i = 0; i < 5; i++) s.emit('send', { roomCode: 'lobby', text: `t${i}` });
      await waitFor(() => got.length === 5, 'five echoes');
      assert.deepEqual(got.map((g) => g.msg.text), ['t0', 't1', 't2', 't3', 't4']);
      assert.equal(s.io.engine.transport.name, transports[0]);
      s.disconnect();
    });
  }

  // emits queued together (one POST on polling): the send waits for its join on the node
  await step('a send emitted right after its join reaches its sender, after the join', async () => {
    const s = await connected(connect(nodeA, '/chat', { transports: ['polling'], auth: { sender: 'quick' } }));
    const got = collect(s);
    const order = [];
    const joined = call(s, 'join', 'pipe').then((a) => { order.push('join'); return a; });
    const sent = call(s, 'send', { roomCode: 'pipe', text: 'right away' }).then((a) => { order.push('send'); return a; });
    const [j, a] = await Promise.all([joined, sent]);
    assert.deepEqual(order, ['join', 'send']);
    assert.equal(j.joined, true);
    assert.equal(a.offset, j.offset + 1);
    await waitFor(() => got.length === 1, 'its own message');
    assert.equal(got[0].msg.text, 'right away');
    assert.equal(got[0].meta.offset, a.offset);
    s.disconnect();
  });

  await step('a socket.io client and a /ws client across two nodes share ids and offsets', async () => {
    const s = await connected(connect(nodeA, '/mix', { auth: { sender: 'sio' } }));
    const got = collect(s);
    const ws = wsClient(nodeB, 'wsc');
    await ws.take((f) => f.type === 'hello', 'hello');
    await call(s, 'join', 'both');
    ws.send(JSON.stringify({ type: 'join', namespace: '/mix', roomCode: 'both' }));
    await ws.take((f) => f.type === 'joined', 'joined');
    const a1 = await call(s, 'send', { roomCode: 'both', text: 'from socket.io' });
    ws.send(JSON.stringify({ type: 'send', namespace: '/mix', roomCode: 'both', text: 'from ws', ref: 'w1' }));
    const a2 = await ws.take((f) => f.type === 'ack', 'ack');
    await waitFor(() => got.length === 2, 'two messages on socket.io');
    const w1 = await ws.take((f) => f.type === 'MSG_TO_CLIENTS' && f.id === a1.id, 'the socket.io message on /ws');
    const w2 = await ws.take((f) => f.type === 'MSG_TO_CLIENTS' && f.id === a2.id, 'the /ws message on /ws');
    const s1 = got.find((g) => g.meta.id === a1.id);
    const s2 = got.find((g) => g.meta.id === a2.id);
    assert.deepEqual(s1.msg, { sender: 'sio', text: 'from socket.io' });
    assert.deepEqual(s2.msg, { sender: 'wsc', text: 'from ws' });
    assert.equal(s1.meta.offset, a1.offset);
    assert.equal(w1.offset, a1.offset);
    assert.equal(s2.meta.offset, w2.offset);
    assert.equal(s2.meta.offset, a1.offset + 1);
    assert.deepEqual(s1.meta, { namespace: '/mix', roomCode: 'both', id: w1.id, ts: w1.ts, offset: w1.offset });
    ws.close();
    s.disconnect();
  });

  await step('an existing app\'s handler shape: socket.on("MSG_TO_CLIENTS", (msg) => …) gets {sender, text}', async () => {
    const s = await connected(connect(nodeB, '/', { auth: { sender: 'legacy' } }));
    const seen = [];
    s.on('MSG_TO_CLIENTS', (msg) => seen.push(msg));
    await call(s, 'join', 'room_1');
    // published from outside over HTTP, on the other node
    const r = await fetch(`${nodeA.url}/publish`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ namespace: '/', roomCode: 'room_1', msg: { sender: 'bot', text: 'hello app' } }),
    });
    assert.equal(r.status, 200);
    await waitFor(() => seen.length === 1, 'the published message');
    assert.deepEqual(seen[0], { sender: 'bot', text: 'hello app' });
    s.disconnect();
  });

  await step('acks and refusals for every event and bad input', async () => {
    const s = await connected(connect(nodeA, '/acks', { auth: { sender: 'acker' } }));
    const errors = [];
    s.on('error', (e) => errors.push(e));
    const refused = async (code, ...args) => {
      const r = await call(s, ...args);
      assert.equal(r.error, code, `${JSON.stringify(args)} → ${JSON.stringify(r)}`);
      assert.equal(typeof r.message, 'string');
      assert.ok(r.message.length > 0);
    };
    await refused('bad_request', 'join', 'not a room!');
    await refused('bad_request', 'join', 42);
    await refused('bad_request', 'join');
    await refused('bad_request', 'join', 'r1', 'not options');
    await refused('bad_request', 'join', 'r1', { history: 'x' });
    await refused('bad_request', 'join', 'r1', { history: -1 });
    await refused('bad_request', 'join', 'r1', { since: { epoch: 1, offset: 0 } });
    await refused('bad_request', 'join', 'r1', { since: { epoch: 'e' } });
    await refused('bad_request', 'join', 'r1', { presence: 'yes' });
    for (const room of ['r1', 'r2', 'r3']) {
      const j = await call(s, 'join', room);
      assert.equal(j.joined, true);
      assert.equal(typeof j.epoch, 'string');
      assert.equal(j.offset, 0);
      assert.equal('recovered' in j, false);
    }
    await refused('too_many_rooms', 'join', 'r4');
    await refused('not_joined', 'leave', 'r4');
    await refused('bad_request', 'leave', { roomCode: 'r1' });
    assert.deepEqual(await call(s, 'leave', 'r3'), { left: true });
    await refused('not_joined', 'send', { roomCode: 'r3', text: 'x' });
    await refused('bad_request', 'send', 'r1', 'text');
    await refused('bad_request', 'send', { roomCode: 'r1' });
    await refused('bad_request', 'send', { roomCode: 'r1', text: 7 });
    await refused('too_large', 'send', { roomCode: 'r1', text: 'x'.repeat(65) });
    const sent = await call(s, 'send', { roomCode: 'r1', text: 'x'.repeat(64) });
    assert.match(sent.id, /./);
    assert.equal(sent.offset, 1);
    await refused('bad_request', 'who', 5);
    const who = await call(s, 'who', 'r1');
    assert.deepEqual(who, { members: [{ client: s.id, sender: 'acker', node: 'node-a' }] });
    await refused('bad_request', 'history', 'r1', { limit: 0 });
    await refused('bad_request', 'history', 'r1', { before: 'x' });
    const history = await call(s, 'history', 'r1', { limit: 5 });
    assert.equal(history.messages.length, 1);
    assert.equal(history.messages[0].id, sent.id);
    assert.equal(history.messages[0].msg.text, 'x'.repeat(64));
    await refused('bad_request', 'frobnicate', 1);
    // without an ack, a refusal is an "error" event
    s.emit('frobnicate');
    s.emit('send', { roomCode: 'r3', text: 'not joined' });
    await waitFor(() => errors.length === 2, 'two error events');
    assert.equal(errors[0].code, 'bad_request');
    assert.equal(errors[1].code, 'not_joined');
    // binary is refused with an error event; the connection stays
    s.emit('send', Buffer.from([1, 2, 3]));
    const bin = await call(s, 'send', { roomCode: 'r1', blob: Buffer.from([4]) });
    assert.equal(bin.error, 'bad_request');
    await waitFor(() => errors.length === 4, 'the binary refusals as error events');
    assert.match(errors[2].message, /binary/);
    assert.equal(s.connected, true);
    assert.equal((await call(s, 'who', 'r1')).members.length, 1);
    s.disconnect();
  });

  await step('identity without auth plugins: auth.sender, the sender query, a guest, a bad name', async () => {
    const q = await connected(connect(nodeA, '/id', { query: { sender: 'quentin' } }));
    await call(q, 'join', 'ids');
    const g = await connected(connect(nodeA, '/id'));
    await call(g, 'join', 'ids');
    const who = await call(g, 'who', 'ids');
    const senders = who.members.map((m) => m.sender).sort();
    assert.equal(senders[1], 'quentin');
    assert.match(senders[0], /^guest-/);
    const bad = connect(nodeA, '/id', { auth: { sender: '' } });
    const err = await once(bad, 'connect_error');
    assert.equal(err.message, 'bad_request');
    assert.equal(err.data.code, 'bad_request');
    const badNsp = connect(nodeA, '/no spaces');
    assert.equal((await once(badNsp, 'connect_error')).message, 'bad_request');
    for (const s of [q, g, bad, badNsp]) s.disconnect();
  });

  await step('several namespaces over one Engine.IO session', async () => {
    const manager = new Manager(nodeB.url, { autoConnect: true });
    const a = manager.socket('/ns-a', { auth: { sender: 'ann' } });
    const b = manager.socket('/ns-b', { auth: { sender: 'ben' } });
    sockets.add(a);
    sockets.add(b);
    await connected(a);
    await connected(b);
    assert.notEqual(a.id, b.id);
    const gotA = collect(a);
    const gotB = collect(b);
    await call(a, 'join', 'same');
    await call(b, 'join', 'same');
    await call(a, 'send', { roomCode: 'same', text: 'only in a' });
    await call(b, 'send', { roomCode: 'same', text: 'only in b' });
    await waitFor(() => gotA.length === 1 && gotB.length === 1, 'one message each');
    await sleep(200);
    assert.deepEqual(gotA.map((g) => g.msg.text), ['only in a']);
    assert.deepEqual(gotB.map((g) => g.msg.text), ['only in b']);
    assert.equal(gotA[0].meta.namespace, '/ns-a');
    a.disconnect();
    // the other namespace keeps the session
    assert.equal((await call(b, 'who', 'same')).members.length, 1);
    b.disconnect();
  });

  await step('presence events and who across nodes', async () => {
    const p = await connected(connect(nodeA, '/pres', { auth: { sender: 'pam' } }));
    const events = [];
    p.on('presence', (e) => events.push(e));
    await call(p, 'join', 'room', { presence: true });
    const q = await connected(connect(nodeB, '/pres', { transports: ['polling'], auth: { sender: 'quin' } }));
    await call(q, 'join', 'room');
    await waitFor(() => events.length === 1, 'the join event');
    assert.deepEqual(events[0], {
      type: 'presence', namespace: '/pres', roomCode: 'room', event: 'join', client: q.id, sender: 'quin', node: 'node-b',
    });
    const who = await call(p, 'who', 'room');
    assert.deepEqual(who.members.map((m) => m.sender).sort(), ['pam', 'quin']);
    const qid = q.id;
    q.disconnect();
    await waitFor(() => events.length === 2, 'the leave event');
    assert.equal(events[1].event, 'leave');
    assert.equal(events[1].client, qid);
    p.disconnect();
  });

  await step('history on join, and a reconnect with since loses nothing', async () => {
    const sender = await connected(connect(nodeB, '/rec', { auth: { sender: 'sam' } }));
    await call(sender, 'join', 'r');
    for (let i = 1; i <= 3; i++) await call(sender, 'send', { roomCode: 'r', text: `m${i}` });

    // the app keeps the last offset it saw and resumes from it on every (re)connect
    const reader = connect(nodeA, '/rec', { auth: { sender: 'rita' } });
    const got = [];
    let since = null;
    let lastAck = null;
    reader.on('MSG_TO_CLIENTS', (msg, meta) => {
      got.push(meta.offset);
      since = { epoch: since ? since.epoch : null, offset: meta.offset };
    });
    reader.on('connect', async () => {
      const opts = since && since.epoch ? { since } : { history: 2 };
      lastAck = await call(reader, 'join', 'r', opts);
      since = { epoch: lastAck.epoch, offset: since ? since.offset : lastAck.offset };
    });
    await connected(reader);
    await waitFor(() => got.length === 2, 'the history on join');
    assert.deepEqual(got, [2, 3]);
    await call(sender, 'send', { roomCode: 'r', text: 'm4' });
    await waitFor(() => got.length === 3, 'm4 live');

    // node A goes away; the client reconnects by itself once it is back
    const disconnected = once(reader, 'disconnect');
    await stopNode(nodeA);
    assert.equal((await disconnected)[0], 'transport close');
    for (let i = 5; i <= 9; i++) await call(sender, 'send', { roomCode: 'r', text: `m${i}` });
    nodeA = await startNode('node-a', { redisPort: redis.port, port: nodeA.port, config: CONFIG });
    await waitFor(() => got.length === 8, 'the missed messages after the reconnect', STEP_TIMEOUT_MS * 2);
    assert.equal(lastAck.recovered, true);
    await call(sender, 'send', { roomCode: 'r', text: 'm10' });
    await waitFor(() => got.length === 9, 'm10 live');
    await sleep(200);
    assert.deepEqual(got, [2, 3, 4, 5, 6, 7, 8, 9, 10]);
    reader.disconnect();
    sender.disconnect();
  });

  await step('auth plugins: auth.token, and refusals as CONNECT_ERROR with the error code', async () => {
    const tokens = path.join(work, 'tokens');
    fs.writeFileSync(tokens, '# token sender rooms\ntok-carol carol team-*\n');
    nodeC = await startNode('node-c', {
      redisPort: redis.port,
      pluginDir: path.join(BUILD_ROOT, 'plugins', 'auth-token'),
      config: `[plugins]\nenabled=auth-token\n[plugin:auth-token]\ntokens=${tokens}\n`,
    });
    const c = await connected(connect(nodeC, '/t', { auth: { token: 'tok-carol', sender: 'not me' } }));
    assert.equal((await call(c, 'join', 'team-1')).joined, true);
    assert.equal((await call(c, 'who', 'team-1')).members[0].sender, 'carol');
    assert.equal((await call(c, 'join', 'lobby')).error, 'forbidden');
    assert.equal((await call(c, 'send', { roomCode: 'lobby', text: 'x' })).error, 'forbidden');
    for (const [auth, code, status] of [[{ token: 'wrong' }, 'forbidden', 401], [{}, 'forbidden', 401],
      [{ token: 5 }, 'bad_request', 400]]) {
      const s = connect(nodeC, '/t', { auth, reconnection: false });
      const err = await once(s, 'connect_error');
      assert.equal(err.message, code, JSON.stringify(auth));
      assert.equal(err.data.code, code);
      assert.equal(err.data.status, status);
      assert.equal(typeof err.data.message, 'string');
      assert.equal(s.active, false, 'a refused client does not retry by itself');
      s.disconnect();
    }
    c.disconnect();
  });

  dbus = await startDbus();
  if (dbus) {
    await step('an administrator kicks a socket.io client and closes a room (D-Bus)', async () => {
      nodeD = await startNode('node-d', { redisPort: redis.port, config: CONFIG, dbus });
      const k = await connected(connect(nodeD, '/adm', { auth: { sender: 'kim' } }));
      const l = await connected(connect(nodeD, '/adm', { auth: { sender: 'lee' } }));
      await call(k, 'join', 'r');
      await call(l, 'join', 'r');
      const kicked = once(k, 'disconnect');
      await waitFor(async () => (await gdbus(dbus.address, 'ListClients', '/adm', 'r')).includes(k.id),
        'ListClients shows the socket.io client');
      await gdbus(dbus.address, 'KickClient', k.id, 'bye');
      assert.equal((await kicked)[0], 'io server disconnect');
      assert.equal(k.active, false, 'a kicked client does not come back by itself');
      const left = once(l, 'left');
      assert.match(await gdbus(dbus.address, 'CloseRoom', '/adm', 'r', 'closing time'), /uint32 1/);
      assert.deepEqual(await left, { type: 'left', namespace: '/adm', roomCode: 'r', reason: 'closing time' });
      assert.equal(l.connected, true);
      assert.equal((await call(l, 'send', { roomCode: 'r', text: 'x' })).error, 'not_joined');
      l.disconnect();
    });
  }

  for (const s of sockets) s.disconnect();
  // every node is still healthy and stops cleanly (under valgrind: without a leak)
  for (const node of [nodeA, nodeB, nodeC, nodeD].filter(Boolean)) {
    const r = await fetch(`${node.url}/healthz`);
    assert.equal(r.status, 200);
  }
  await step('the nodes stop cleanly', async () => {
    for (const node of [nodeA, nodeB, nodeC, nodeD].filter(Boolean)) await stopNode(node);
  });
  console.log(`1..${stepNo}`);
  clearTimeout(globalTimer);
  await stopProcess(redis.child);
  if (dbus) await stopProcess(dbus.child);
  process.exit(0);
} catch (e) {
  console.log(`# ${(e && e.stack) || e}`.replace(/\n/g, '\n# '));
  for (const node of [nodeA, nodeB, nodeC, nodeD]) {
    if (node && node.child.stderrOf) console.log(`# ${node.name} stderr:\n# ${node.child.stderrOf().slice(-3000).replace(/\n/g, '\n# ')}`);
  }
  console.log(`1..${stepNo}`);
  process.exit(1);
}
