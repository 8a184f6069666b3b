// Copyright 2026 roomcast developers
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The web client in a real browser: headless Debian Chromium driven by playwright-core, against
// a real redis-server, a private dbus-daemon and real roomcastd nodes, all started here.
//
// Environment (set by tests/browser/meson.build):
//   ROOMCASTD             path of the roomcastd binary
//   ROOMCAST_BUILD_ROOT   meson build root (plugins are looked up in BUILD/plugins/NAME/)
//   ROOMCAST_SOURCE_ROOT  source root
//   ROOMCAST_SCREENSHOT   where to save the screenshot (optional)
//   ROOMCAST_BROWSER_TESTS_REQUIRED=1  fail instead of skipping when Chromium or
//                         node_modules are missing, and when a plugin, dbus-daemon or
//                         gdbus is missing (meson -Dbrowser_tests=enabled)
//   ROOMCAST_CHROMIUM     browser binary (default /usr/bin/chromium)
//   RC_TEST_TIMEOUT_SCALE multiplies the timeouts (sanitizer builds)
//
// Exit status: 0 pass, 1 fail, 77 skipped.

import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const SKIP = 77;
const REQUIRED = process.env.ROOMCAST_BROWSER_TESTS_REQUIRED === '1';
const CHROMIUM = process.env.ROOMCAST_CHROMIUM || '/usr/bin/chromium';
const ROOMCASTD = process.env.ROOMCASTD;
const BUILD_ROOT = process.env.ROOMCAST_BUILD_ROOT;
const SCREENSHOT = process.env.ROOMCAST_SCREENSHOT;
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
// sanitizer builds run the daemons several times slower
const SCALE = Math.max(1, Number(process.env.RC_TEST_TIMEOUT_SCALE) || 1);
const STEP_TIMEOUT_MS = 10000 * SCALE;
const TOTAL_TIMEOUT_MS = Math.min(150000 * SCALE, 220000);

function skip(why) {
  if (REQUIRED) {
    console.log(`Bail out! ${why} (browser tests are required)`);
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
if (!fs.existsSync(CHROMIUM)) skip(`${CHROMIUM} not installed (apt-get install chromium)`);
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  skip('playwright-core missing (run npm ci in tests/browser)');
}
const REDIS_SERVER = which('redis-server');
if (!REDIS_SERVER) skip('redis-server not installed');

// ---- process bookkeeping: everything started here is stopped on any exit -----------------

const children = new Set();
const tmpDirs = [];
let context = null;

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

// Starts a program and resolves with its first stdout match of @re.
function startProcess(name, cmd, args, re, { timeoutMs = STEP_TIMEOUT_MS, env = process.env } = {}) {
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
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

// Resolves with the exit code (or signal name) after SIGTERM.
function stopProcess(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode ?? child.signalCode);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve(code ?? signal);
    });
    child.kill('SIGTERM');
  });
}

async function stopNode(node) {
  const status = await stopProcess(node.child);
  assert(status === 0, `${node.name} exits with 0 on SIGTERM, not ${status}`);
}

// A fresh, empty Redis (on @port to stand for one that restarted without its data).
async function startRedis(port = 0) {
  if (!port) port = await freePort();
  const dir = tmpDir('rc-redis-');
  const { child } = await startProcess('redis-server', REDIS_SERVER, [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--loglevel', 'notice',
  ], /Ready to accept connections/);
  return { child, port };
}

// A private session bus for the D-Bus admin API of node A (none when dbus-daemon is missing).
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

const LISTEN_RE = /roomcastd: listening on http:\/\/([0-9.]+):([0-9]+)\//;

async function startNode(name, { redisPort, port = 0, config = '', pluginDir = null, dbus = null }) {
  const dir = tmpDir(`rc-${name}-`);
  const confPath = path.join(dir, 'roomcast.conf');
  fs.writeFileSync(confPath, config);
  const args = ['--port', String(port), '--bus', dbus ? 'session' : 'none',
    '--redis', `redis://127.0.0.1:${redisPort}`, '--node-id', name, '--config', confPath,
    '--plugin-dir', pluginDir || path.join(dir, 'no-plugins')];
  const env = dbus ? { ...process.env, DBUS_SESSION_BUS_ADDRESS: dbus.address } : process.env;
  const { child, match } = await startProcess(name, ROOMCASTD, args, LISTEN_RE, { env });
  return { name, child, host: match[1], port: Number(match[2]), origin: `http://${match[1]}:${match[2]}` };
}

// ---- tiny TAP reporter ---------------------------------------------------------------------

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

function assert(cond, what) {
  if (!cond) throw new Error(`assertion failed: ${what}`);
}

// ---- page helpers --------------------------------------------------------------------------

const T = { timeout: STEP_TIMEOUT_MS };

function statusIs(page, text, timeout = STEP_TIMEOUT_MS) {
  return page.waitForFunction((t) => document.getElementById('status').textContent === t, text,
    { timeout });
}

function statusIsNot(page, text) {
  return page.waitForFunction((t) => document.getElementById('status').textContent !== t, text, T);
}

async function joinAs(page, sender, room) {
  await page.fill('#sender', sender);
  await page.fill('#room', room);
  await page.click('#join');
  await page.waitForSelector(`#rooms li[data-room="${room}"].joined`, T);
  await statusIs(page, 'connected');
  await page.waitForFunction((s) => document.getElementById('whoami').textContent.includes(s), sender, T);
}

async function sendText(page, room, text, how = 'enter') {
  await page.selectOption('#target', room);
  await page.fill('#text', text);
  if (how === 'enter') await page.press('#text', 'Enter');
  else await page.click('#send');
}

// Waits until @page shows a message with exactly @text; returns what it shows.
async function waitMessage(page, text) {
  const handle = await page.waitForFunction((t) => {
    for (const li of document.querySelectorAll('#messages .message')) {
      const textEl = li.querySelector('.text');
      if (textEl && textEl.textContent === t) {
        return {
          sender: li.querySelector('.sender').textContent,
          room: li.querySelector('.room').textContent,
          own: li.classList.contains('own'),
          html: textEl.innerHTML,
          children: textEl.childElementCount,
        };
      }
    }
    return null;
  }, text, T);
  return handle.jsonValue();
}

// What @page shows of @room, oldest first: message texts, and '[notice]' / '[gap]' for notices.
function roomItems(page, room) {
  return page.evaluate((r) => [...document.querySelectorAll('#messages > li')]
    .filter((li) => li.dataset.room === r)
    .map((li) => {
      if (li.classList.contains('gap')) return '[gap]';
      if (li.classList.contains('notice')) return '[notice]';
      return li.querySelector('.text').textContent;
    }), room);
}

// Waits until @page lists exactly @names (sorted) as the members of its selected room.
async function waitMembers(page, names) {
  const want = [...names].sort().join(',');
  try {
    await page.waitForFunction((w) => [...document.querySelectorAll('#members .member')]
      .map((li) => li.querySelector('.member-name').textContent).sort().join(',') === w, want, T);
  } catch (e) {
    const shown = await page.locator('#members .member').allTextContents();
    throw new Error(`members should be [${want}], the page shows [${shown.join(', ')}]`);
  }
}

function selectedMembers(page) {
  return page.evaluate(() => [...document.querySelectorAll('#members .member')].map((li) => ({
    name: li.querySelector('.member-name').textContent,
    text: li.textContent,
    own: li.classList.contains('own'),
  })));
}

// A plain WebSocket client, opened from inside @page (so on that page's origin), keyed by sender.
async function rawOpen(page, node, sender) {
  await page.evaluate(({ url, name }) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    window.__raw = window.__raw || {};
    window.__raw[name] = { ws, frames: [] };
    ws.onmessage = (ev) => {
      const f = JSON.parse(ev.data);
      window.__raw[name].frames.push(f);
      if (f.type === 'hello') resolve();
    };
    ws.onerror = () => reject(new Error(`WebSocket for ${name} failed`));
  }), { url: `ws://${node.host}:${node.port}/ws?sender=${encodeURIComponent(sender)}`, name: sender });
}

async function rawSend(page, sender, frame) {
  await page.evaluate(({ name, f }) => window.__raw[name].ws.send(JSON.stringify(f)), { name: sender, f: frame });
}

async function rawWaitFrame(page, sender, type, roomCode) {
  await page.waitForFunction(({ name, t, r }) => window.__raw[name].frames
    .some((f) => f.type === t && f.roomCode === r), { name: sender, t: type, r: roomCode }, T);
}

async function rawClose(page, sender) {
  await page.evaluate((name) => window.__raw[name].ws.close(1000), sender);
}

// POST /publish, as a bot or an outside program would.
async function publish(node, room, sender, text) {
  const resp = await fetch(`${node.origin}/publish`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ namespace: '/', roomCode: room, msg: { sender, text } }),
  });
  const body = await resp.text();
  assert(resp.status === 200, `POST /publish to ${node.name} gave ${resp.status}: ${body}`);
}

async function getHistory(node, room, limit) {
  const resp = await fetch(`${node.origin}/history?namespace=%2F&roomCode=${encodeURIComponent(room)}&limit=${limit}`);
  assert(resp.status === 200, `GET /history on ${node.name} gave ${resp.status}`);
  return resp.json();
}

async function waitError(page, code) {
  const el = await page.waitForSelector(`#errors .error[data-code="${code}"]`, T);
  return el.textContent();
}

// ---- the test ------------------------------------------------------------------------------

// BUILD/plugins/NAME/ when that plugin is built; when the browser tests are required (CI), a
// missing plugin is an error rather than a quietly smaller test.
function findPlugin(name) {
  const dir = path.join(BUILD_ROOT, 'plugins', name);
  try {
    if (fs.readdirSync(dir).some((f) => f.endsWith('.so'))) return dir;
  } catch { /* not built */ }
  if (REQUIRED) throw new Error(`plugin ${name} is not built in ${dir}`);
  return null;
}

async function main() {
  const redis = await startRedis();

  // Node B refuses a word through filter-profanity and has a small text limit.
  const profanityDir = findPlugin('filter-profanity');
  const work = tmpDir('rc-browser-');
  const wordsPath = path.join(work, 'words.txt');
  fs.writeFileSync(wordsPath, 'frobnicate\n');
  let configB = '[limits]\nmax_text_bytes=200\n';
  if (profanityDir) {
    configB += `[plugins]\nenabled=filter-profanity\n[plugin:filter-profanity]\nwords=${wordsPath}\naction=reject\n`;
  } else {
    console.log('# filter-profanity is not built: only the too_large error is checked');
  }

  const dbus = await startDbus();
  if (!dbus) console.log('# no dbus-daemon: the admin actions are not checked');
  let nodeA = await startNode('node-a', { redisPort: redis.port, dbus });
  let nodeB = await startNode('node-b', { redisPort: redis.port, config: configB, pluginDir: profanityDir });
  // Publishers that make a room forget: node H keeps only 3 messages per room, what node T
  // publishes is dropped after a second (so the room starts a new epoch).
  const nodeH = await startNode('node-h', { redisPort: redis.port, config: '[history]\nsize=3\n' });
  const nodeT = await startNode('node-t', { redisPort: redis.port, config: '[history]\nttl=1\n' });

  const userDataDir = tmpDir('rc-chromium-');
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1000, height: 640 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });

  // Everything the browser asks for, from every page.
  const requests = [];
  const sockets = [];
  const pageErrors = [];
  context.on('request', (r) => requests.push(r.url()));
  const sentFrames = new Map(); // page -> the JSON frames it sent, on every socket
  const watch = (page) => {
    sentFrames.set(page, []);
    page.on('websocket', (ws) => {
      sockets.push(ws.url());
      ws.on('framesent', (ev) => {
        try {
          sentFrames.get(page).push(JSON.parse(ev.payload));
        } catch {
          sentFrames.get(page).push({ notJson: String(ev.payload) });
        }
      });
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      // failed WebSocket attempts while a node restarts are expected
      if (m.type() === 'error' && !/WebSocket/.test(m.text())) pageErrors.push(m.text());
    });
  };

  const pageA = context.pages()[0] || await context.newPage();
  const pageB = await context.newPage();
  watch(pageA);
  watch(pageB);

  await step('both pages load from their node and connect', async () => {
    const resp = await pageA.goto(`${nodeA.origin}/`);
    assert(resp.status() === 200, `GET / on node A gave ${resp.status()}`);
    await pageB.goto(`${nodeB.origin}/`);
    await statusIs(pageA, 'connected');
    await statusIs(pageB, 'connected');
  });

  await step('a page that joins a room first shows its recent messages', async () => {
    for (let i = 1; i <= 52; i++) await publish(nodeB, 'lobby', 'bot', `earlier ${i}`);
    await joinAs(pageA, 'alice', 'lobby');
    const join = sentFrames.get(pageA).find((f) => f.type === 'join' && f.roomCode === 'lobby');
    assert(join.history === 50 && join.presence === true && join.since === undefined,
      `a first join asks for history and presence: ${JSON.stringify(join)}`);
    const want = [];
    for (let i = 3; i <= 52; i++) want.push(`earlier ${i}`);
    await waitMessage(pageA, 'earlier 52');
    let shown = await roomItems(pageA, 'lobby');
    assert(JSON.stringify(shown) === JSON.stringify(want),
      `the last 50 messages, oldest first: ${shown.slice(0, 3).join(' | ')} … (${shown.length})`);
    const first = await waitMessage(pageA, 'earlier 3');
    assert(first.sender === 'bot' && !first.own, `an earlier message shows its sender: ${first.sender}`);
    await publish(nodeB, 'lobby', 'bot', 'live after history');
    await waitMessage(pageA, 'live after history');
    shown = await roomItems(pageA, 'lobby');
    assert(shown.length === 51 && shown[50] === 'live after history', 'a live message comes after them');
  });

  await step('two pages on two nodes chat in one room', async () => {
    await joinAs(pageA, 'alice', 'lobby');
    await joinAs(pageB, 'bob', 'lobby');
    await sendText(pageA, 'lobby', 'hello from alice on node A', 'enter');
    const seenByB = await waitMessage(pageB, 'hello from alice on node A');
    assert(seenByB.sender === 'alice', `B sees sender ${seenByB.sender}`);
    assert(!seenByB.own, 'B does not mark alice\'s message as its own');
    const seenByA = await waitMessage(pageA, 'hello from alice on node A');
    assert(seenByA.own, 'A marks its own message');
    await sendText(pageB, 'lobby', 'hi alice, bob here', 'click');
    const back = await waitMessage(pageA, 'hi alice, bob here');
    assert(back.sender === 'bob', `A sees sender ${back.sender}`);
    assert(await pageA.inputValue('#text') === '', 'the input is cleared after sending');
  });

  await step('HTML in a message stays text', async () => {
    const evil = '<img src=x onerror="window.__pwned=1"><b>bold</b><script>window.__pwned=2</script>';
    await sendText(pageA, 'lobby', evil);
    for (const page of [pageA, pageB]) {
      const m = await waitMessage(page, evil);
      assert(m.children === 0, 'no element was created from the message');
      assert(m.html.startsWith('&lt;img'), `the markup is shown escaped: ${m.html}`);
      assert(await page.locator('#messages img, #messages b, #messages script').count() === 0,
        'no img/b/script element inside #messages');
      assert(await page.evaluate(() => window.__pwned) === undefined, 'no script ran');
    }
  });

  await step('errors from the server are shown in words, and the page keeps working', async () => {
    await sendText(pageB, 'lobby', 'x'.repeat(300));
    const tooLarge = await waitError(pageB, 'too_large');
    assert(/too long/i.test(tooLarge), `too_large is explained: ${tooLarge}`);
    assert((await pageB.inputValue('#text')).length === 300, 'the refused text is given back');
    if (profanityDir) {
      await sendText(pageB, 'lobby', 'please Frobnicate the widget');
      const rejected = await waitError(pageB, 'rejected');
      assert(/rejected/i.test(rejected), `rejected is explained: ${rejected}`);
    }
    await sendText(pageB, 'lobby', 'still here after the errors');
    await waitMessage(pageA, 'still here after the errors');
    await statusIs(pageB, 'connected');
  });

  await step('with several rooms, each message shows its room', async () => {
    for (const page of [pageA, pageB]) {
      await page.fill('#room', 'side-room');
      await page.press('#room', 'Enter');
      await page.waitForSelector('#rooms li[data-room="side-room"].joined', T);
    }
    await sendText(pageB, 'side-room', 'over in the side room');
    const m = await waitMessage(pageA, 'over in the side room');
    assert(m.room === 'side-room', `room tag says ${m.room}`);
    const tag = pageA.locator('#messages .message', { hasText: 'over in the side room' }).locator('.room');
    assert(await tag.isVisible(), 'the room tag is visible');
  });

  await step('the member list shows who is in the selected room, and follows joins and leaves', async () => {
    await pageA.selectOption('#target', 'lobby');
    await waitMembers(pageA, ['alice', 'bob']);
    const mine = await selectedMembers(pageA);
    assert(mine.find((m) => m.name === 'alice').own, 'the page marks itself');
    assert(!mine.find((m) => m.name === 'bob').own, 'bob is not marked as the page itself');
    assert(await pageA.locator('#members-title').textContent() === 'Members of lobby (2)',
      'the heading names the room and counts its members');
    await pageB.selectOption('#target', 'lobby');
    await waitMembers(pageB, ['alice', 'bob']);

    // dave, a plain WebSocket client on node B, joins lobby only: node A's page hears of it
    await rawOpen(pageB, nodeB, 'dave');
    await rawSend(pageB, 'dave', { type: 'join', namespace: '/', roomCode: 'lobby' });
    await rawWaitFrame(pageB, 'dave', 'joined', 'lobby');
    await waitMembers(pageA, ['alice', 'bob', 'dave']);
    await waitMembers(pageB, ['alice', 'bob', 'dave']);
    await pageA.waitForFunction(() => document.getElementById('members-news').textContent === 'dave joined lobby',
      null, T);

    await pageA.selectOption('#target', 'side-room');
    await waitMembers(pageA, ['alice', 'bob']);
    await pageA.click('#rooms li[data-room="lobby"] .room-name');
    await waitMembers(pageA, ['alice', 'bob', 'dave']);

    await rawSend(pageB, 'dave', { type: 'leave', namespace: '/', roomCode: 'lobby' });
    await waitMembers(pageA, ['alice', 'bob']);
    await rawSend(pageB, 'dave', { type: 'join', namespace: '/', roomCode: 'lobby' });
    await waitMembers(pageA, ['alice', 'bob', 'dave']);
    await rawClose(pageB, 'dave');
    await waitMembers(pageA, ['alice', 'bob']);
    await waitMembers(pageB, ['alice', 'bob']);
    await pageA.waitForFunction(() => document.getElementById('members-news').textContent === 'dave left lobby',
      null, T);
  });

  await step('save a screenshot', async () => {
    await sendText(pageA, 'lobby', 'Grüße from node A to node B');
    await waitMessage(pageA, 'Grüße from node A to node B');
    if (SCREENSHOT) {
      await pageA.screenshot({ path: SCREENSHOT });
      assert(fs.statSync(SCREENSHOT).size > 1000, 'the screenshot was written');
      console.log(`# screenshot: ${SCREENSHOT}`);
    }
  });

  await step('a page whose node restarts on the same port reconnects and chats again', async () => {
    for (const room of ['gap-room', 'epoch-room']) {
      await pageA.fill('#room', room);
      await pageA.press('#room', 'Enter');
      await pageA.waitForSelector(`#rooms li[data-room="${room}"].joined`, T);
    }
    await publish(nodeT, 'epoch-room', 'bot', 'first epoch');
    await waitMessage(pageA, 'first epoch');
    const lobbyBefore = await roomItems(pageA, 'lobby');
    const lastOffset = await pageA.evaluate(() => Number([...document.querySelectorAll('#messages .message[data-room="lobby"]')]
      .pop().dataset.offset));
    const epochOf = async (room) => (await getHistory(nodeB, room, 1)).epoch;
    const lobbyEpoch = await epochOf('lobby');
    const framesBefore = sentFrames.get(pageA).length;

    const port = nodeA.port;
    await stopNode(nodeA);
    await statusIsNot(pageA, 'connected');

    // said while the page is away
    for (let i = 1; i <= 3; i++) {
      await sendText(pageB, 'lobby', `while away ${i}`);
      await waitMessage(pageB, `while away ${i}`);
    }
    for (let i = 1; i <= 6; i++) await publish(nodeH, 'gap-room', 'bot', `gap ${i}`);
    // epoch-room forgets its first epoch, then starts a second one
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while ((await getHistory(nodeB, 'epoch-room', 10)).messages.length > 0) {
      assert(Date.now() < deadline, 'epoch-room forgot its history within the step');
      await new Promise((r) => setTimeout(r, 200));
    }
    await publish(nodeB, 'epoch-room', 'bot', 'second epoch a');
    await publish(nodeB, 'epoch-room', 'bot', 'second epoch b');

    nodeA = await startNode('node-a', { redisPort: redis.port, port, dbus });
    assert(nodeA.port === port, 'node A came back on its port');
    // the backoff may have reached several seconds while node A was away
    await statusIs(pageA, 'connected', 2 * STEP_TIMEOUT_MS);
    for (const room of ['lobby', 'side-room', 'gap-room', 'epoch-room']) {
      await pageA.waitForSelector(`#rooms li[data-room="${room}"].joined`, T);
    }

    // the page asked for what it missed: since its epoch and the last offset it showed
    const rejoin = sentFrames.get(pageA).slice(framesBefore)
      .find((f) => f.type === 'join' && f.roomCode === 'lobby');
    assert(rejoin && rejoin.since && rejoin.since.epoch === lobbyEpoch && rejoin.since.offset === lastOffset &&
      rejoin.presence === true && rejoin.history === undefined,
    `lobby is rejoined with since {${lobbyEpoch}, ${lastOffset}}: ${JSON.stringify(rejoin)}`);

    // lobby: what was said meanwhile, each once, nothing shown twice, no notice
    await waitMessage(pageA, 'while away 3');
    const lobby = await roomItems(pageA, 'lobby');
    assert(JSON.stringify(lobby.slice(0, lobbyBefore.length)) === JSON.stringify(lobbyBefore),
      'what the page showed before stays as it was');
    assert(JSON.stringify(lobby.slice(lobbyBefore.length)) ===
      JSON.stringify(['while away 1', 'while away 2', 'while away 3']),
      `after the reconnect, exactly the missed messages in order: ${lobby.slice(lobbyBefore.length).join(' | ')}`);
    // and the page agrees with the server's own record of the room
    const held = (await getHistory(nodeB, 'lobby', 100)).messages.map((m) => m.msg.text);
    const from = held.indexOf('earlier 3');
    assert(from >= 0, 'the server still holds what the page first showed');
    assert(JSON.stringify(held.slice(from)) === JSON.stringify(lobby),
      `the page shows the room's messages exactly once each: ${lobby.length} shown, ${held.length - from} held`);

    // gap-room: more was said than the room keeps, and the page says so
    await waitMessage(pageA, 'gap 6');
    const gap = await roomItems(pageA, 'gap-room');
    assert(JSON.stringify(gap) === JSON.stringify(['[gap]', 'gap 4', 'gap 5', 'gap 6']),
      `a notice, then what the room still held: ${gap.join(' | ')}`);
    const notice = await pageA.locator('#messages .notice.gap[data-room="gap-room"]').textContent();
    assert(/missing/i.test(notice), `the notice says messages may be missing: ${notice}`);

    // epoch-room: its history started again; the new epoch's messages are shown once
    await waitMessage(pageA, 'second epoch b');
    const epoch = await roomItems(pageA, 'epoch-room');
    assert(JSON.stringify(epoch) === JSON.stringify(['first epoch', '[gap]', 'second epoch a', 'second epoch b']),
      `a new epoch shows a notice, then its messages: ${epoch.join(' | ')}`);
    await publish(nodeB, 'epoch-room', 'bot', 'second epoch c');
    await waitMessage(pageA, 'second epoch c');
    assert((await roomItems(pageA, 'epoch-room')).length === 5, 'live messages of the new epoch follow');

    // the page's connection before the restart is not listed next to its new one
    await pageA.selectOption('#target', 'lobby');
    await waitMembers(pageA, ['alice', 'bob']);
    const members = await selectedMembers(pageA);
    assert(members.every((m) => !/×/.test(m.text)), `one connection each: ${members.map((m) => m.text).join(', ')}`);
    assert(members.find((m) => m.name === 'alice').own, 'the page still marks itself');
    await waitMembers(pageB, ['alice', 'bob']);
    await sendText(pageA, 'lobby', 'alice is back');
    const m = await waitMessage(pageB, 'alice is back');
    assert(m.sender === 'alice', 'the page reconnected with its name');
    await sendText(pageB, 'side-room', 'welcome back');
    await waitMessage(pageA, 'welcome back');
  });

  await step('leaving a room stops its messages', async () => {
    await pageA.click('#rooms li[data-room="side-room"] .leave');
    await pageA.waitForSelector('#rooms li[data-room="side-room"]', { state: 'detached', ...T });
    await sendText(pageB, 'side-room', 'alice should not see this');
    await sendText(pageB, 'lobby', 'but this one');
    await waitMessage(pageA, 'but this one');
    const leaked = await pageA.locator('#messages .text', { hasText: 'alice should not see this' }).count();
    assert(leaked === 0, 'no message from a room that was left');

    // joining it again brings its recent messages, without repeating those still on screen
    const before = await roomItems(pageA, 'side-room');
    await pageA.fill('#room', 'side-room');
    await pageA.press('#room', 'Enter');
    await pageA.waitForSelector('#rooms li[data-room="side-room"].joined', T);
    await waitMessage(pageA, 'alice should not see this');
    const after = await roomItems(pageA, 'side-room');
    assert(JSON.stringify(after) === JSON.stringify([...before, 'alice should not see this']),
      `each side-room message once: ${after.join(' | ')}`);
  });

  // With auth-token, the token decides the name and which rooms may be joined.
  const authDir = findPlugin('auth-token');
  const rateDir = findPlugin('filter-ratelimit');
  let nodeC = null;
  await step('a token from the page address is passed on /ws and used', async () => {
    const pageC = await context.newPage();
    watch(pageC);
    if (!authDir) {
      console.log('# auth-token is not built: only the token in the /ws URL is checked');
      const opened = pageC.waitForEvent('websocket', T);
      await pageC.goto(`${nodeB.origin}/?token=s3cret%2Bx&sender=carol`);
      const ws = await opened;
      const q = new URL(ws.url()).searchParams;
      assert(q.get('token') === 's3cret+x' && q.get('sender') === 'carol', `WebSocket URL ${ws.url()}`);
      await statusIs(pageC, 'connected');
      await pageC.close();
      return;
    }
    const tokens = path.join(work, 'tokens');
    fs.writeFileSync(tokens, '# token sender rooms\nt0ken-carol carol team-*\n');
    // --plugin-dir takes one folder: give node C one with both plugins in it
    const pluginDir = path.join(work, 'plugins-c');
    fs.mkdirSync(pluginDir);
    let enabled = 'auth-token';
    for (const dir of [authDir, rateDir]) {
      if (!dir) continue;
      for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.so'))) {
        fs.symlinkSync(path.join(dir, f), path.join(pluginDir, f));
      }
    }
    let config = `[plugin:auth-token]\ntokens=${tokens}\n`;
    if (rateDir) {
      enabled += ';filter-ratelimit';
      config += '[plugin:filter-ratelimit]\nrate=0.2\nburst=2\n';
    }
    nodeC = await startNode('node-c', {
      redisPort: redis.port, pluginDir, config: `[plugins]\nenabled=${enabled}\n${config}`,
    });
    await pageC.goto(`${nodeC.origin}/?token=t0ken-carol`);
    await statusIs(pageC, 'connected');
    await pageC.waitForFunction(() => document.getElementById('whoami').textContent.includes('carol'), null, T);
    assert(await pageC.inputValue('#token') === 't0ken-carol', 'the token field shows the token');

    await pageC.fill('#room', 'lobby');
    await pageC.press('#room', 'Enter');
    const forbidden = await waitError(pageC, 'forbidden');
    assert(/not allowed/i.test(forbidden), `forbidden is explained: ${forbidden}`);
    await pageC.waitForSelector('#rooms li[data-room="lobby"]', { state: 'detached', ...T });

    await pageA.fill('#room', 'team-blue');
    await pageA.press('#room', 'Enter');
    await pageA.waitForSelector('#rooms li[data-room="team-blue"].joined', T);
    await pageC.fill('#room', 'team-blue');
    await pageC.press('#room', 'Enter');
    await pageC.waitForSelector('#rooms li[data-room="team-blue"].joined', T);
    await sendText(pageC, 'team-blue', 'carol reporting');
    const m = await waitMessage(pageA, 'carol reporting');
    assert(m.sender === 'carol', `the token's sender is used: ${m.sender}`);

    if (rateDir) {
      for (let i = 0; i < 3; i++) await sendText(pageC, 'team-blue', `flood ${i}`);
      const limited = await waitError(pageC, 'rate_limited');
      assert(/too fast/i.test(limited), `rate_limited is explained: ${limited}`);
    }

    // A wrong token never connects, and the page says why.
    const pageD = await context.newPage();
    watch(pageD);
    await pageD.goto(`${nodeC.origin}/?token=wrong`);
    await pageD.waitForFunction(() => /token/.test(document.getElementById('conn-detail').textContent), null, T);
    assert(await pageD.textContent('#status') !== 'connected', 'not connected with a wrong token');
    await pageD.close();
    await pageC.close();
  });

  await step('usable on a phone-sized screen', async () => {
    await pageA.setViewportSize({ width: 360, height: 740 });
    const overflow = await pageA.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `no horizontal scrolling (${overflow}px too wide)`);
    for (const id of ['#sender', '#room', '#join', '#text', '#send', '#status', '#members']) {
      const box = await pageA.locator(id).boundingBox();
      assert(box && box.x >= 0 && box.x + box.width <= 360 && box.y + box.height <= 740,
        `${id} is on screen`);
    }
    await sendText(pageA, 'lobby', 'typed on a phone');
    await waitMessage(pageB, 'typed on a phone');
  });

  await step('on a 360×740 phone, Join with an empty field joins the room the field shows, and the room fits', async () => {
    const page = await context.newPage();
    watch(page);
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${nodeA.origin}/?sender=erin`);
    await statusIs(page, 'connected');
    const shown = await page.getAttribute('#room', 'placeholder');
    assert(shown, 'the room field shows a default');
    assert(await page.inputValue('#room') === '', 'the room field starts empty');
    await page.click('#join');
    await page.waitForSelector(`#rooms li[data-room="${shown}"].joined`, T);
    assert(await page.locator('#errors .error').count() === 0, 'an empty Join is no error');
    const join = sentFrames.get(page).find((f) => f.type === 'join');
    assert(join && join.roomCode === shown, `the join names ${shown}: ${JSON.stringify(join)}`);
    await waitMembers(page, ['erin']);
    await sendText(page, shown, 'hello from a small screen');
    await waitMessage(page, 'hello from a small screen');

    const fits = async (when) => {
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(width <= 360, `${when}: no horizontal scrolling (scrollWidth ${width})`);
      for (const id of ['#text', '#send', '#members .member', '#messages .message']) {
        const box = await page.locator(id).last().boundingBox();
        assert(box && box.x >= 0 && box.y >= 0 && box.x + box.width <= 360 && box.y + box.height <= 740,
          `${when}: ${id} is inside the viewport (${JSON.stringify(box)})`);
      }
      const list = await page.locator('#messages').boundingBox();
      assert(list.height >= 100 && list.y + list.height <= 740,
        `${when}: the messages have room (${JSON.stringify(list)})`);
    };
    await fits('joined');
    // errors stack above the messages without pushing the compose row off the screen
    for (const bad of ['bad room', 'x y', 'a b']) {
      await page.fill('#room', bad);
      await page.click('#join');
    }
    await page.waitForFunction(() => document.querySelectorAll('#errors .error').length >= 3, null, T);
    await fits('with three errors shown');
    await page.close();
  });

  await step('an administrator closing a room or kicking the page is shown', async () => {
    if (!dbus) return;
    await pageA.fill('#room', 'doomed');
    await pageA.press('#room', 'Enter');
    await pageA.waitForSelector('#rooms li[data-room="doomed"].joined', T);
    const removed = await gdbus(dbus.address, 'CloseRoom', '/', 'doomed', 'closing time');
    assert(/\b1\b/.test(removed), `CloseRoom removed one client: ${removed}`);
    await pageA.waitForSelector('#rooms li[data-room="doomed"]', { state: 'detached', ...T });
    await pageA.waitForFunction(() => [...document.querySelectorAll('#messages .notice')]
      .some((n) => n.textContent.includes('closing time')), null, T);
    await statusIs(pageA, 'connected');

    const clients = await gdbus(dbus.address, 'ListClients', '/', 'lobby');
    const alice = /'([^']+)', 'alice'/.exec(clients);
    assert(alice, `alice is listed in lobby: ${clients}`);
    await gdbus(dbus.address, 'KickClient', alice[1], 'be nice');
    await statusIs(pageA, 'disconnected');
    await pageA.waitForFunction(() => document.getElementById('conn-detail').textContent.includes('be nice'), null, T);
    await pageA.waitForTimeout(1500);
    assert(await pageA.textContent('#status') === 'disconnected', 'a kicked page does not reconnect by itself');
    await pageA.click('#reconnect');
    await statusIs(pageA, 'connected');
    await pageA.waitForSelector('#rooms li[data-room="lobby"].joined', T);
    await sendText(pageA, 'lobby', 'reconnected after the kick');
    await waitMessage(pageB, 'reconnected after the kick');
  });

  let redisAgain = null;
  await step('a message sent while Redis is down is reported as not sent', async () => {
    await stopProcess(redis.child);
    await sendText(pageB, 'lobby', 'into the void');
    const unavailable = await waitError(pageB, 'unavailable');
    assert(/nothing was sent/i.test(unavailable), `unavailable is explained: ${unavailable}`);
    assert(await pageB.inputValue('#text') === 'into the void', 'the text is given back');
  });

  await step('a page that reconnects while Redis is down keeps its rooms and rejoins them later', async () => {
    await pageB.fill('#text', '');
    const port = nodeB.port;
    await stopNode(nodeB);
    await statusIsNot(pageB, 'connected');
    nodeB = await startNode('node-b', { redisPort: redis.port, port, config: configB, pluginDir: profanityDir });
    await statusIs(pageB, 'connected', 2 * STEP_TIMEOUT_MS);
    // the rooms cannot be resumed yet: they wait rather than disappear
    await pageB.waitForTimeout(1500);
    for (const room of ['lobby', 'side-room']) {
      assert(await pageB.locator(`#rooms li[data-room="${room}"]`).count() === 1, `${room} is still listed`);
    }
    assert(await pageB.locator('#rooms li.joined').count() === 0, 'no room counts as joined yet');
    const waiting = await pageB.locator('#rooms .room-state').allTextContents();
    assert(waiting.every((t) => /waiting/.test(t)), `each room says it waits for the server: ${waiting.join(', ')}`);
    assert(await pageB.locator('#errors .error', { hasText: 'Could not join' }).count() === 0,
      'no room was given up');

    // Redis comes back empty: the rooms start new epochs, and the page says what it cannot know
    redisAgain = await startRedis(redis.port);
    await pageB.waitForSelector('#rooms li[data-room="lobby"].joined', { timeout: 3 * STEP_TIMEOUT_MS });
    await pageB.waitForSelector('#rooms li[data-room="side-room"].joined', T);
    await pageB.waitForSelector('#messages .notice.gap[data-room="lobby"]', T);
    await sendText(pageB, 'lobby', 'after Redis came back');
    await waitMessage(pageB, 'after Redis came back');
  });

  await step('no request leaves the node', async () => {
    const allowed = new Set([nodeA.origin, nodeB.origin]);
    if (nodeC) allowed.add(nodeC.origin);
    assert(requests.some((u) => u.endsWith('/app.js')), 'requests were recorded');
    for (const u of requests) {
      const url = new URL(u);
      assert(allowed.has(url.origin) || url.protocol === 'data:', `request to ${u}`);
    }
    assert(sockets.length >= 3, `WebSockets were recorded (${sockets.length})`);
    for (const u of sockets) {
      const url = new URL(u);
      assert(url.protocol === 'ws:' && allowed.has(`http://${url.host}`) && url.pathname === '/ws',
        `WebSocket to ${u}`);
    }
  });

  await step('no script errors on the pages', async () => {
    assert(pageErrors.length === 0, `errors: ${pageErrors.join(' | ')}`);
    for (const frames of sentFrames.values()) {
      const bad = frames.find((f) => f.notJson !== undefined);
      assert(!bad, `every frame a page sent is JSON: ${bad && bad.notJson}`);
    }
  });

  await context.close();
  context = null;
  for (const node of [nodeA, nodeB, nodeC, nodeH, nodeT]) if (node) await stopNode(node);
  if (redisAgain) await stopProcess(redisAgain.child);
  if (dbus) await stopProcess(dbus.child);
}

try {
  await main();
  console.log(`1..${stepNo}`);
  clearTimeout(globalTimer);
  process.exit(0);
} catch (e) {
  console.log(`Bail out! ${e.stack || e}`);
  if (context) await context.close().catch(() => {});
  process.exit(1);
}
