// Copyright 2026 roomcast developers
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The roomcast web client: one WebSocket to the node that served this page.
// Text that came from the network is only ever put into the page with textContent.

const NAMESPACE = '/';
const ROOM_RE = /^[A-Za-z0-9_.:@-]{1,128}$/;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15000;
const KEEPALIVE_MS = 25000;
const KEEPALIVE_TIMEOUT_MS = 10000;
const ERROR_SHOW_MS = 20000;
const MAX_MESSAGES = 500;
const MAX_ERRORS = 4;

const ERROR_WORDS = {
  rate_limited: 'You are sending too fast. Wait a moment, then try again.',
  rejected: 'The server rejected this message (a content filter refused it).',
  forbidden: 'You are not allowed to do that in this room.',
  unavailable: 'The server cannot deliver messages right now, so nothing was sent. Try again shortly.',
  too_large: 'That message is too long for this server.',
  not_joined: 'You are not in that room. Join it first.',
  bad_request: 'The server did not understand the request.',
  not_connected: 'You are not connected, so nothing was sent.',
  bad_name: 'That name cannot be used.',
  bad_room: 'That room name cannot be used.',
  no_room: 'Join a room before sending messages.',
  maybe_lost: 'The connection dropped before the server confirmed this message; it may not have been sent.',
};

const CLOSE_WORDS = {
  1001: 'the server is restarting',
  1008: 'disconnected by an administrator',
  1009: 'a message was too big for the server',
  1013: 'the connection was too slow to keep up',
};

const ui = {};
for (const id of ['status', 'conn-detail', 'reconnect', 'identity-form', 'sender', 'token',
  'whoami', 'join-form', 'room', 'join', 'rooms', 'no-rooms', 'errors', 'messages',
  'compose', 'target', 'text', 'send']) {
  ui[id.replace(/-(.)/g, (_, c) => c.toUpperCase())] = document.getElementById(id);
}

const state = {
  ws: null,
  helloSeen: false,
  identity: { sender: '', token: '' }, // what the current socket was opened with
  me: null,                            // our sender as the server sees it
  guestName: '',                       // keeps a server-given guest name across reconnects
  rooms: new Map(),                    // roomCode -> { joined: bool, li, stateEl }
  pending: new Map(),                  // ref -> { kind, room, text }
  seq: 0,
  attempt: 0,
  retryTimer: 0,
  retryAt: 0,
  countdownTimer: 0,
  keepaliveTimer: 0,
  lastFrameAt: 0,
  stopped: false,                      // no automatic reconnect (after a kick)
};

function nextRef(prefix) {
  state.seq += 1;
  return `${prefix}${state.seq}`;
}

function utf8Length(s) {
  return new TextEncoder().encode(s).length;
}

function senderProblem(name) {
  if (name === '') return null; // the server picks a guest name
  if (utf8Length(name) > 64) return 'Names can be at most 64 bytes long.';
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'Names cannot contain control characters.';
  return null;
}

function desiredIdentity() {
  return {
    sender: ui.sender.value.trim() || state.guestName,
    token: ui.token.value.trim(),
  };
}

// ---- connection state --------------------------------------------------------------------

function setStatus(stateName, text, detail = '') {
  ui.status.dataset.state = stateName;
  ui.status.textContent = text;
  ui.connDetail.textContent = detail;
  ui.reconnect.hidden = stateName === 'connected' || stateName === 'connecting';
  document.body.classList.toggle('offline', stateName !== 'connected');
}

function connect() {
  clearTimeout(state.retryTimer);
  state.retryTimer = 0;
  clearInterval(state.countdownTimer);
  state.stopped = false;

  const identity = desiredIdentity();
  const problem = senderProblem(identity.sender);
  if (problem) {
    showError('bad_name', problem);
    setStatus('disconnected', 'disconnected', 'fix your name to connect');
    return;
  }

  const query = new URLSearchParams();
  if (identity.sender) query.set('sender', identity.sender);
  if (identity.token) query.set('token', identity.token);
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const qs = query.toString();
  const url = `${scheme}//${location.host}/ws${qs ? `?${qs}` : ''}`;

  let ws;
  try {
    ws = new WebSocket(url);
  } catch (e) {
    scheduleReconnect(String(e));
    return;
  }
  state.ws = ws;
  state.helloSeen = false;
  state.identity = identity;
  setStatus('connecting', 'connecting');

  // Events of a socket we already replaced are ignored.
  ws.addEventListener('message', (ev) => {
    if (state.ws === ws) onFrame(ev.data);
  });
  ws.addEventListener('close', (ev) => {
    if (state.ws === ws) onClosed(ev);
  });
}

function dropSocket() {
  const ws = state.ws;
  state.ws = null;
  state.helloSeen = false;
  stopKeepalive();
  if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'client reconnecting');
  forgetPending();
  for (const room of state.rooms.values()) setRoomJoined(room, false);
}

function reconnectNow() {
  dropSocket();
  clearTimeout(state.retryTimer);
  state.retryTimer = 0;
  state.attempt = 0;
  connect();
}

function onClosed(ev) {
  const hadHello = state.helloSeen;
  dropSocket();

  // A refused upgrade (bad name, bad token) looks like any failed connection to a page.
  let why = CLOSE_WORDS[ev.code] || (hadHello ? 'the connection was lost' : 'could not connect');
  if (!hadHello && !CLOSE_WORDS[ev.code] && state.identity.token) why = 'could not connect (is the token right?)';
  if (ev.reason) why += `: ${ev.reason}`;

  if (ev.code === 1008) {
    // Reconnecting by ourselves would undo an administrator's kick.
    state.stopped = true;
    setStatus('disconnected', 'disconnected', why);
    return;
  }
  scheduleReconnect(why);
}

function scheduleReconnect(why) {
  if (state.stopped) return;
  // Exponential backoff with jitter, so a restarted node is not hit by every page at once.
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** state.attempt);
  const delay = ceiling / 2 + Math.random() * (ceiling / 2);
  state.attempt += 1;
  state.retryAt = Date.now() + delay;
  clearTimeout(state.retryTimer);
  clearInterval(state.countdownTimer);
  state.retryTimer = setTimeout(connect, delay);

  const tick = () => {
    const secs = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
    setStatus('reconnecting', 'reconnecting', `${why}; retrying in ${secs} s`);
  };
  tick();
  state.countdownTimer = setInterval(tick, 1000);
}

function startKeepalive() {
  stopKeepalive();
  state.keepaliveTimer = setInterval(() => {
    const ws = state.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - state.lastFrameAt > KEEPALIVE_MS + KEEPALIVE_TIMEOUT_MS) {
      // No answer to the last ping: the connection is dead even if TCP has not noticed.
      onClosed({ code: 1006, reason: '' });
      return;
    }
    if (Date.now() - state.lastFrameAt >= KEEPALIVE_MS) sendFrame({ type: 'ping', ref: nextRef('k') });
  }, KEEPALIVE_TIMEOUT_MS / 2);
}

function stopKeepalive() {
  clearInterval(state.keepaliveTimer);
  state.keepaliveTimer = 0;
}

function sendFrame(frame) {
  const ws = state.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN || !state.helloSeen) return false;
  ws.send(JSON.stringify(frame));
  return true;
}

function forgetPending() {
  for (const p of state.pending.values()) {
    if (p.kind === 'send') showError('maybe_lost', '', `Message to ${p.room}`);
  }
  state.pending.clear();
}

// Reconnects when the name or token differ from what the current socket was opened with.
function applyIdentity() {
  const wanted = desiredIdentity();
  if (wanted.sender === state.identity.sender && wanted.token === state.identity.token &&
      (state.ws || state.retryTimer)) {
    return;
  }
  try {
    if (ui.sender.value.trim()) localStorage.setItem('roomcast.sender', ui.sender.value.trim());
  } catch (e) { /* storage may be disabled */ }
  reconnectNow();
}

// ---- frames from the server --------------------------------------------------------------

function onFrame(data) {
  state.lastFrameAt = Date.now();
  let f;
  try {
    f = JSON.parse(data);
  } catch (e) {
    return;
  }
  if (!f || typeof f !== 'object') return;

  switch (f.type) {
    case 'hello':
      onHello(f);
      break;
    case 'joined': {
      const room = state.rooms.get(f.roomCode);
      if (room) setRoomJoined(room, true);
      state.pending.delete(f.ref);
      break;
    }
    case 'left':
      state.pending.delete(f.ref);
      if (typeof f.reason === 'string' && state.rooms.has(f.roomCode)) {
        removeRoom(f.roomCode);
        addNotice(f.roomCode, `This room was closed by an administrator${f.reason ? `: ${f.reason}` : ''}.`);
      }
      break;
    case 'ack':
      state.pending.delete(f.ref);
      break;
    case 'MSG_TO_CLIENTS':
      addMessage(f);
      break;
    case 'error':
      onError(f);
      break;
    default:
      break; // pong, and frame types newer than this page
  }
}

function onHello(f) {
  state.helloSeen = true;
  state.attempt = 0;
  clearInterval(state.countdownTimer);
  state.me = typeof f.sender === 'string' ? f.sender : null;
  if (!ui.sender.value.trim() && !state.identity.token && state.me) {
    state.guestName = state.me;
    state.identity.sender = state.me;
  }
  ui.whoami.textContent = state.me ? `You are ${state.me}${f.node ? ` on node ${f.node}` : ''}.` : '';
  setStatus('connected', 'connected');
  startKeepalive();
  for (const code of state.rooms.keys()) sendJoin(code);
}

function onError(f) {
  const code = typeof f.code === 'string' ? f.code : 'error';
  const p = f.ref ? state.pending.get(f.ref) : undefined;
  if (p) state.pending.delete(f.ref);

  if (p && p.kind === 'join') {
    removeRoom(p.room);
    showError(code, f.message, `Could not join ${p.room}`);
  } else if (p && p.kind === 'send') {
    if (!ui.text.value) ui.text.value = p.text; // let the user retry
    showError(code, f.message, `Message to ${p.room} not sent`);
  } else if (p && p.kind === 'leave') {
    showError(code, f.message, `Leaving ${p.room}`);
  } else {
    showError(code, f.message);
  }
}

// ---- rooms -------------------------------------------------------------------------------

function sendJoin(code) {
  const ref = nextRef('j');
  if (sendFrame({ type: 'join', namespace: NAMESPACE, roomCode: code, ref })) {
    state.pending.set(ref, { kind: 'join', room: code });
  }
}

function joinRoom(code) {
  if (!ROOM_RE.test(code)) {
    showError('bad_room', 'Use 1 to 128 letters, digits or _ . : @ -');
    return;
  }
  if (!state.rooms.has(code)) {
    addRoom(code);
    sendJoin(code);
  }
  selectTarget(code);
}

function leaveRoom(code) {
  const ref = nextRef('l');
  if (sendFrame({ type: 'leave', namespace: NAMESPACE, roomCode: code, ref })) {
    state.pending.set(ref, { kind: 'leave', room: code });
  }
  removeRoom(code);
}

function addRoom(code) {
  const li = document.createElement('li');
  li.dataset.room = code;
  const pick = document.createElement('button');
  pick.type = 'button';
  pick.className = 'room-name';
  pick.textContent = code;
  pick.title = 'Send messages to this room';
  pick.addEventListener('click', () => selectTarget(code));
  const stateEl = document.createElement('span');
  stateEl.className = 'room-state';
  const leave = document.createElement('button');
  leave.type = 'button';
  leave.className = 'leave';
  leave.textContent = 'Leave';
  leave.setAttribute('aria-label', `Leave ${code}`);
  leave.addEventListener('click', () => leaveRoom(code));
  li.append(pick, stateEl, leave);
  ui.rooms.append(li);

  const opt = document.createElement('option');
  opt.value = code;
  opt.textContent = code;
  ui.target.append(opt);

  const room = { code, joined: false, li, stateEl, opt };
  state.rooms.set(code, room);
  setRoomJoined(room, false);
  roomsChanged();
}

function removeRoom(code) {
  const room = state.rooms.get(code);
  if (!room) return;
  state.rooms.delete(code);
  room.li.remove();
  room.opt.remove();
  roomsChanged();
}

function setRoomJoined(room, joined) {
  room.joined = joined;
  room.li.classList.toggle('joined', joined);
  room.stateEl.textContent = joined ? '' : 'joining…';
}

function selectTarget(code) {
  ui.target.value = code;
  roomsChanged();
}

function roomsChanged() {
  const n = state.rooms.size;
  ui.noRooms.hidden = n > 0;
  ui.target.disabled = n === 0;
  ui.text.placeholder = n ? `Message ${ui.target.value}` : 'Join a room to write';
  for (const room of state.rooms.values()) {
    room.li.classList.toggle('target', room.code === ui.target.value);
  }
  document.body.classList.toggle('many-rooms', n > 1);
}

// ---- messages ----------------------------------------------------------------------------

function nearBottom() {
  const m = ui.messages;
  return m.scrollHeight - m.scrollTop - m.clientHeight < 48;
}

function appendItem(li, forceScroll) {
  const stick = forceScroll || nearBottom();
  ui.messages.append(li);
  while (ui.messages.childElementCount > MAX_MESSAGES) ui.messages.firstElementChild.remove();
  if (stick) ui.messages.scrollTop = ui.messages.scrollHeight;
}

function addMessage(f) {
  const msg = f.msg;
  if (!msg || typeof msg.sender !== 'string' || typeof msg.text !== 'string') return;
  const own = state.me !== null && msg.sender === state.me;

  const li = document.createElement('li');
  li.className = own ? 'message own' : 'message';
  li.dataset.room = String(f.roomCode);
  if (f.id !== undefined) li.dataset.id = String(f.id);

  const meta = document.createElement('div');
  meta.className = 'meta';
  const room = document.createElement('span');
  room.className = 'room';
  room.textContent = String(f.roomCode);
  const sender = document.createElement('span');
  sender.className = 'sender';
  sender.textContent = msg.sender;
  const time = document.createElement('time');
  time.className = 'time';
  const when = new Date(typeof f.ts === 'number' ? f.ts : Date.now());
  time.dateTime = when.toISOString();
  time.title = when.toLocaleString();
  time.textContent = when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  meta.append(sender, room, time);

  const text = document.createElement('div');
  text.className = 'text';
  text.textContent = msg.text;

  li.append(meta, text);
  appendItem(li, own);
}

function addNotice(roomCode, words) {
  const li = document.createElement('li');
  li.className = 'notice';
  li.dataset.room = roomCode;
  li.textContent = `${roomCode}: ${words}`;
  appendItem(li, true);
}

function showError(code, serverMessage = '', context = '') {
  const box = document.createElement('div');
  box.className = 'error';
  box.dataset.code = code;
  box.setAttribute('role', 'alert');
  const words = document.createElement('span');
  const base = ERROR_WORDS[code] || `Error (${code}).`;
  words.textContent = context ? `${context}: ${base}` : base;
  box.append(words);
  if (serverMessage && typeof serverMessage === 'string') {
    const detail = document.createElement('span');
    detail.className = 'detail';
    detail.textContent = ` ${serverMessage}`;
    box.append(detail);
  }
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'dismiss';
  close.textContent = '×';
  close.setAttribute('aria-label', 'Dismiss');
  close.addEventListener('click', () => box.remove());
  box.append(close);

  ui.errors.append(box);
  while (ui.errors.childElementCount > MAX_ERRORS) ui.errors.firstElementChild.remove();
  setTimeout(() => box.remove(), ERROR_SHOW_MS);
}

// ---- user actions ------------------------------------------------------------------------

function sendText() {
  const text = ui.text.value;
  if (!text.trim()) return;
  const code = ui.target.value;
  if (!code || !state.rooms.has(code)) {
    showError('no_room');
    return;
  }
  const ref = nextRef('c');
  if (!sendFrame({ type: 'send', namespace: NAMESPACE, roomCode: code, text, ref })) {
    showError('not_connected');
    return;
  }
  state.pending.set(ref, { kind: 'send', room: code, text });
  ui.text.value = '';
}

ui.identityForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  applyIdentity();
});
ui.sender.addEventListener('change', applyIdentity);
ui.token.addEventListener('change', applyIdentity);

ui.joinForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  applyIdentity();
  joinRoom(ui.room.value.trim());
});

ui.compose.addEventListener('submit', (ev) => {
  ev.preventDefault();
  sendText();
  ui.text.focus();
});
ui.target.addEventListener('change', roomsChanged);
ui.reconnect.addEventListener('click', reconnectNow);
window.addEventListener('online', () => {
  if (!state.helloSeen && !state.stopped) reconnectNow();
});

// ---- start -------------------------------------------------------------------------------

function start() {
  const params = new URLSearchParams(location.search);
  let saved = '';
  try {
    saved = localStorage.getItem('roomcast.sender') || '';
  } catch (e) { /* storage may be disabled */ }
  ui.sender.value = params.get('sender') || saved;
  const token = params.get('token');
  if (token) {
    ui.token.value = token;
    ui.token.closest('details').open = true;
  }
  for (const code of (params.get('room') || '').split(',')) {
    if (ROOM_RE.test(code)) addRoom(code);
  }
  if (state.rooms.size) selectTarget(state.rooms.keys().next().value);
  roomsChanged();
  connect();
}

start();
