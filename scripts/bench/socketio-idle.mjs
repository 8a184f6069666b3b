// Memory of idle socket.io clients on one roomcast node: connects N socket.io-client
// clients to namespace /chat, one after the other, each joining one of 20 rooms, waits
// 2 s and prints one JSON row with the node's RSS before and after, per connection.
//   node scripts/bench/socketio-idle.mjs URL NODE_PID N TRANSPORT
// TRANSPORT is websocket, polling or upgrade (polling first, then the WebSocket
// upgrade). socket.io-client comes from tests/socketio/client (npm ci there first).
// scripts/bench-socketio-idle.sh starts Redis and the node and runs all three.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/socketio/client/'));
const { io } = require('socket.io-client');
const [url, pid, n, transport] = [process.argv[2], process.argv[3], Number(process.argv[4]), process.argv[5]];
const rooms = 20;
const rss = () => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const transports = { websocket: ['websocket'], polling: ['polling'], upgrade: ['polling', 'websocket'] }[transport];

if (!transports || !(n > 0)) {
  console.error('usage: socketio-idle.mjs URL NODE_PID N websocket|polling|upgrade');
  process.exit(2);
}
await sleep(300);
const before = rss();
const sockets = [];
for (let i = 0; i < n; i++) {
  const s = io(`${url}/chat`, { forceNew: true, reconnection: false, transports, auth: { sender: `u${i}` } });
  sockets.push(s);
  await new Promise((res, rej) => { s.once('connect', res); s.once('connect_error', rej); });
  const ack = await s.timeout(10000).emitWithAck('join', `r${i % rooms}`);
  if (!ack || !ack.joined) throw new Error(`join refused: ${JSON.stringify(ack)}`);
  if (transport === 'upgrade') while (s.io.engine.transport.name !== 'websocket') await sleep(5);
}
await sleep(2000);
const after = rss();
console.log(JSON.stringify({ transport, n, before_kb: before, after_kb: after,
  per_conn_kb: Number(((after - before) / n).toFixed(2)) }));
for (const s of sockets) s.close();
process.exit(0);
