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
const HISTORY_COUNT = 50;      // earlier messages asked for when joining a room
const MAX_REMEMBERED_IDS = 2000; // per room, to drop a message that comes twice
const RETRY_BASE_MS = 1000;    // joins and member lists the server could not give yet

// Every string the page shows, apart from the fixed labels in index.html.
const WORDS = {
  connecting: 'connecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  disconnected: 'disconnected',
  nameTooLong: 'Names can be at most 64 bytes long.',
  nameControl: 'Names cannot contain control characters.',
  fixName: 'fix your name to connect',
  lost: 'the connection was lost',
  noConnect: 'could not connect',
  noConnectToken: 'could not connect (is the token right?)',
  retrying: (why, secs) => `${why}; retrying in ${secs} s`,
  whoami: (me, node) => (node ? `You are ${me} on node ${node}.` : `You are ${me}.`),
  badRoom: 'Use 1 to 128 letters, digits or _ . : @ -',
  couldNotJoin: (room) => `Could not join ${room}`,
  messageTo: (room) => `Message to ${room}`,
  messageNotSent: (room) => `Message to ${room} not sent`,
  leaving: (room) => `Leaving ${room}`,
  pickRoom: 'Send messages to this room',
  leave: 'Leave',
  leaveRoom: (room) => `Leave ${room}`,
  joining: 'joining…',
  joinWaiting: 'waiting for the server…',
  composeTo: (room) => `Message ${room}`,
  composeNoRoom: 'Join a room to write',
  closed: (reason) => `This room was closed by an administrator${reason ? `: ${reason}` : ''}.`,
  gap: 'Some messages may be missing here: the server no longer had all of them when the page reconnected.',
  unknownError: (code) => `Error (${code}).`,
  dismiss: 'Dismiss',
  members: 'Members',
  membersOf: (room, n) => `Members of ${room} (${n})`,
  membersNoRoom: 'Join a room to see who is in it.',
  membersLoading: 'Looking up who is here…',
  membersUnavailable: 'The member list is not available right now.',
  you: '(you)',
  connections: (n) => `${n} connections`,
  memberJoined: (name, room) => `${name} joined ${room}`,
  memberLeft: (name, room) => `${name} left ${room}`,
};

const ERROR_WORDS = {
  rate_limited: 'You are sending too fast. Wait a moment, then try again.',
  rejected: 'The server rejected this message (a content filter refused it).',
  forbidden: 'You are not allowed to do that in this room.',
  unavailable: 'The server cannot deliver messages right now, so nothing was sent. Try again shortly.',
  too_large: 'That message is too long for this server.',
  too_many_rooms: 'You are already in as many rooms as this server allows. Leave one first.',
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
  'compose', 'target', 'text', 'send', 'members-title', 'members', 'members-hint',
  'members-news']) {
  ui[id.replace(/-(.)/g, (_, c) => c.toUpperCase())] = document.getElementById(id);
}

const state = {
  ws: null,
  helloSeen: false,
  identity: { sender: '', token: '' }, // what the current socket was opened with
  me: null,                            // our sender as the server sees it
  client: null,                        // our client id on the current (or last) socket
  pastClients: new Set(),              // our earlier client ids: those connections are gone
  guestName: '',                       // keeps a server-given guest name across reconnects
  rooms: new Map(),                    // roomCode -> the room as long as we are in it
  logs: new Map(),                     // roomCode -> what was shown of it (outlives leaving)
  pending: new Map(),                  // ref -> { kind, room, ... }
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

function isOffset(n) {
  return Number.isSafeInteger(n) && n >= 0;
}

function senderProblem(name) {
  if (name === '') return null; // the server picks a guest name
  if (utf8Length(name) > 64) return WORDS.nameTooLong;
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return WORDS.nameControl;
  return null;
}

function desiredIdentity() {
  return {
    sender: ui.sender.value.trim() || state.guestName,
    token: ui.token.value.trim(),
  };
}

// ---- connection state --------------------------------------------------------------------

function setStatus(stateName, detail = '') {
  ui.status.dataset.state = stateName;
  ui.status.textContent = WORDS[stateName];
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
    setStatus('disconnected', WORDS.fixName);
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
  setStatus('connecting');

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
  for (const room of state.rooms.values()) {
    stopRoomTimers(room);
    setRoomJoined(room, false);
  }
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
  let why = CLOSE_WORDS[ev.code] || (hadHello ? WORDS.lost : WORDS.noConnect);
  if (!hadHello && !CLOSE_WORDS[ev.code] && state.identity.token) why = WORDS.noConnectToken;
  if (ev.reason) why += `: ${ev.reason}`;

  if (ev.code === 1008) {
    // Reconnecting by ourselves would undo an administrator's kick.
    state.stopped = true;
    setStatus('disconnected', why);
    return;
  }
  scheduleReconnect(why);
}

function backoff(base, attempt) {
  // Exponential backoff with jitter, so a restarted node is not hit by every page at once.
  const ceiling = Math.min(BACKOFF_MAX_MS, base * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function scheduleReconnect(why) {
  if (state.stopped) return;
  const delay = backoff(BACKOFF_BASE_MS, state.attempt);
  state.attempt += 1;
  state.retryAt = Date.now() + delay;
  clearTimeout(state.retryTimer);
  clearInterval(state.countdownTimer);
  state.retryTimer = setTimeout(connect, delay);

  const tick = () => {
    const secs = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
    setStatus('reconnecting', WORDS.retrying(why, secs));
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
    if (p.kind === 'send') showError('maybe_lost', '', WORDS.messageTo(p.room));
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
    case 'joined':
      onJoined(f);
      break;
    case 'left':
      state.pending.delete(f.ref);
      if (typeof f.reason === 'string' && state.rooms.has(f.roomCode)) {
        removeRoom(f.roomCode);
        addNotice(f.roomCode, WORDS.closed(f.reason));
      }
      break;
    case 'ack':
      state.pending.delete(f.ref);
      break;
    case 'MSG_TO_CLIENTS':
      addMessage(f);
      break;
    case 'history':
      onHistory(f);
      break;
    case 'members':
      onMembers(f);
      break;
    case 'presence':
      onPresence(f);
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
  // The server may not have noticed yet that our previous connection is gone.
  if (state.client !== null) {
    state.pastClients.add(state.client);
    for (const room of state.rooms.values()) room.members.delete(state.client);
  }
  state.client = typeof f.client === 'string' ? f.client : null;
  if (!ui.sender.value.trim() && !state.identity.token && state.me) {
    state.guestName = state.me;
    state.identity.sender = state.me;
  }
  ui.whoami.textContent = state.me ? WORDS.whoami(state.me, f.node) : '';
  setStatus('connected');
  startKeepalive();
  for (const code of state.rooms.keys()) sendJoin(code);
}

function onError(f) {
  const code = typeof f.code === 'string' ? f.code : 'error';
  const p = f.ref ? state.pending.get(f.ref) : undefined;
  if (p) state.pending.delete(f.ref);

  if (p && p.kind === 'join') {
    const room = state.rooms.get(p.room);
    if (code === 'unavailable' && room) {
      // The server cannot read the room's history right now: try again rather than join
      // without it, which would lose the place the page resumes from.
      retryJoin(room, typeof f.message === 'string' ? f.message : '');
      return;
    }
    removeRoom(p.room);
    showError(code, f.message, WORDS.couldNotJoin(p.room));
  } else if (p && p.kind === 'who') {
    const room = state.rooms.get(p.room);
    if (room) retryMembers(room);
  } else if (p && p.kind === 'history') {
    // the earlier messages of a new epoch are a nicety: live ones keep coming
  } else if (p && p.kind === 'send') {
    if (!ui.text.value) ui.text.value = p.text; // let the user retry
    showError(code, f.message, WORDS.messageNotSent(p.room));
  } else if (p && p.kind === 'leave') {
    showError(code, f.message, WORDS.leaving(p.room));
  } else {
    showError(code, f.message);
  }
}

// ---- rooms -------------------------------------------------------------------------------

// What the page showed of a room: where to resume from, and which messages it has.
function logOf(code) {
  let log = state.logs.get(code);
  if (!log) {
    log = {
      epoch: null,   // the room's epoch as the last join reported it
      offset: 0,     // highest offset shown in that epoch
      floor: 0,      // offsets up to here were before what the page asked for
      ids: new Set(),
      idOrder: [],
      anchor: null,  // first live message after a join that still waits for earlier ones
      waiting: false,
    };
    state.logs.set(code, log);
  }
  return log;
}

function remember(log, id) {
  if (!id || log.ids.has(id)) return;
  log.ids.add(id);
  log.idOrder.push(id);
  if (log.idOrder.length > MAX_REMEMBERED_IDS) log.ids.delete(log.idOrder.shift());
}

function sendJoin(code) {
  const room = state.rooms.get(code);
  if (!room) return;
  clearTimeout(room.joinTimer);
  room.joinTimer = 0;
  const log = logOf(code);
  const ref = nextRef('j');
  const frame = { type: 'join', namespace: NAMESPACE, roomCode: code, presence: true, ref };
  // Back in a room the page was already in: ask for exactly what it missed.
  const resume = room.wasJoined && log.epoch !== null;
  if (resume) frame.since = { epoch: log.epoch, offset: Math.max(log.offset, log.floor) };
  else frame.history = HISTORY_COUNT;
  if (sendFrame(frame)) state.pending.set(ref, { kind: 'join', room: code, resume });
}

function retryJoin(room, why) {
  room.stateEl.textContent = WORDS.joinWaiting;
  room.stateEl.title = why;
  clearTimeout(room.joinTimer);
  room.joinTimer = setTimeout(() => sendJoin(room.code), backoff(RETRY_BASE_MS, room.joinAttempt));
  room.joinAttempt += 1;
}

function onJoined(f) {
  const p = f.ref ? state.pending.get(f.ref) : undefined;
  state.pending.delete(f.ref);
  const room = state.rooms.get(f.roomCode);
  if (!room) return;
  setRoomJoined(room, true);
  room.wasJoined = true;
  room.joinAttempt = 0;

  const log = logOf(room.code);
  const epoch = typeof f.epoch === 'string' ? f.epoch : '';
  const top = isOffset(f.offset) ? f.offset : 0;
  // New offsets: what the page knew of the old ones says nothing about them.
  const changed = epoch !== '' && log.epoch !== null && log.epoch !== epoch;
  if (changed) {
    log.offset = 0;
    log.floor = 0;
  }
  if (epoch !== '') log.epoch = epoch;
  log.anchor = null;
  log.waiting = false;
  if (p && p.resume) {
    if (f.recovered === false) addNotice(room.code, WORDS.gap, 'gap');
    if (changed) requestHistory(room, top);
  } else {
    log.floor = Math.max(log.floor, top - HISTORY_COUNT);
  }
  requestMembers(room);
}

// A resumed room whose history started again: its recent messages, which the join did
// not give, go before the live ones that arrive meanwhile.
function requestHistory(room, top) {
  if (top === 0) return;
  const log = logOf(room.code);
  const ref = nextRef('h');
  const frame = {
    type: 'history', namespace: NAMESPACE, roomCode: room.code, limit: HISTORY_COUNT,
    before: top + 1, ref,
  };
  if (sendFrame(frame)) {
    state.pending.set(ref, { kind: 'history', room: room.code, epoch: log.epoch });
    log.waiting = true;
    log.floor = Math.max(log.floor, top - HISTORY_COUNT);
  }
}

function onHistory(f) {
  const p = f.ref ? state.pending.get(f.ref) : undefined;
  if (!p || p.kind !== 'history') return;
  state.pending.delete(f.ref);
  const log = logOf(p.room);
  const before = log.anchor && log.anchor.isConnected ? log.anchor : null;
  log.waiting = false;
  log.anchor = null;
  if (f.epoch !== log.epoch || !Array.isArray(f.messages)) return;
  for (const m of f.messages) {
    if (!m || typeof m !== 'object' || m.roomCode !== p.room) continue;
    const li = buildMessage(m, log);
    if (!li) continue;
    if (isOffset(m.offset)) log.offset = Math.max(log.offset, m.offset);
    if (before) ui.messages.insertBefore(li, before);
    else appendItem(li, false);
  }
}

function joinRoom(code) {
  if (!ROOM_RE.test(code)) {
    showError('bad_room', WORDS.badRoom);
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
  pick.title = WORDS.pickRoom;
  pick.addEventListener('click', () => selectTarget(code));
  const stateEl = document.createElement('span');
  stateEl.className = 'room-state';
  const leave = document.createElement('button');
  leave.type = 'button';
  leave.className = 'leave';
  leave.textContent = WORDS.leave;
  leave.setAttribute('aria-label', WORDS.leaveRoom(code));
  leave.addEventListener('click', () => leaveRoom(code));
  li.append(pick, stateEl, leave);
  ui.rooms.append(li);

  const opt = document.createElement('option');
  opt.value = code;
  opt.textContent = code;
  ui.target.append(opt);

  const room = {
    code, joined: false, li, stateEl, opt,
    wasJoined: false,      // joined once since it was added: later joins resume
    joinTimer: 0,
    joinAttempt: 0,
    members: new Map(),    // client id -> { sender, node }
    membersKnown: false,
    membersProblem: false,
    whoPending: false,
    presenceQueue: [],     // presence events that came before the member list
    whoTimer: 0,
    whoAttempt: 0,
  };
  state.rooms.set(code, room);
  setRoomJoined(room, false);
  roomsChanged();
}

function removeRoom(code) {
  const room = state.rooms.get(code);
  if (!room) return;
  stopRoomTimers(room);
  state.rooms.delete(code);
  room.li.remove();
  room.opt.remove();
  roomsChanged();
}

function stopRoomTimers(room) {
  clearTimeout(room.joinTimer);
  clearTimeout(room.whoTimer);
  room.joinTimer = 0;
  room.whoTimer = 0;
}

function setRoomJoined(room, joined) {
  room.joined = joined;
  room.li.classList.toggle('joined', joined);
  room.stateEl.textContent = joined ? '' : WORDS.joining;
  room.stateEl.title = '';
}

function selectTarget(code) {
  ui.target.value = code;
  roomsChanged();
}

function roomsChanged() {
  const n = state.rooms.size;
  ui.noRooms.hidden = n > 0;
  ui.target.disabled = n === 0;
  ui.text.placeholder = n ? WORDS.composeTo(ui.target.value) : WORDS.composeNoRoom;
  for (const room of state.rooms.values()) {
    room.li.classList.toggle('target', room.code === ui.target.value);
  }
  document.body.classList.toggle('many-rooms', n > 1);
  renderMembers();
}

// ---- members -----------------------------------------------------------------------------

function requestMembers(room) {
  clearTimeout(room.whoTimer);
  room.whoTimer = 0;
  const ref = nextRef('w');
  // presence events from now on are applied on top of the list the reply brings
  room.whoPending = true;
  room.presenceQueue = [];
  if (sendFrame({ type: 'who', namespace: NAMESPACE, roomCode: room.code, ref })) {
    state.pending.set(ref, { kind: 'who', room: room.code });
  }
  renderMembers();
}

function retryMembers(room) {
  room.membersProblem = true;
  clearTimeout(room.whoTimer);
  room.whoTimer = setTimeout(() => {
    if (room.joined && state.rooms.get(room.code) === room) requestMembers(room);
  }, backoff(RETRY_BASE_MS * 2, room.whoAttempt));
  room.whoAttempt += 1;
  renderMembers();
}

function presenceEntry(e) {
  if (!e || typeof e.client !== 'string' || typeof e.sender !== 'string') return null;
  if (state.pastClients.has(e.client)) return null;
  return { client: e.client, sender: e.sender, node: typeof e.node === 'string' ? e.node : '' };
}

function onMembers(f) {
  const p = f.ref ? state.pending.get(f.ref) : undefined;
  if (!p || p.kind !== 'who') return;
  state.pending.delete(f.ref);
  const room = state.rooms.get(p.room);
  if (!room || !Array.isArray(f.members)) return;
  room.members = new Map();
  for (const e of f.members.map(presenceEntry)) {
    if (e) room.members.set(e.client, e);
  }
  // Applying in order what came since the question gives the list as it is now, whether
  // or not the answer already had those changes.
  for (const ev of room.presenceQueue) applyPresence(room, ev, false);
  room.presenceQueue = [];
  room.whoPending = false;
  room.membersKnown = true;
  room.membersProblem = false;
  room.whoAttempt = 0;
  renderMembers();
}

function onPresence(f) {
  const room = state.rooms.get(f.roomCode);
  if (!room || (f.event !== 'join' && f.event !== 'leave') || !presenceEntry(f)) return;
  if (room.whoPending) room.presenceQueue.push(f);
  else applyPresence(room, f, true);
}

function applyPresence(room, f, announce) {
  const e = presenceEntry(f);
  const had = [...room.members.values()].some((m) => m.sender === e.sender);
  if (f.event === 'join') room.members.set(e.client, e);
  else room.members.delete(e.client);
  const has = [...room.members.values()].some((m) => m.sender === e.sender);
  if (!announce) return;
  renderMembers();
  // a second connection of someone already listed changes nobody's presence
  if (room.code === ui.target.value && had !== has) {
    ui.membersNews.textContent = has ? WORDS.memberJoined(e.sender, room.code)
      : WORDS.memberLeft(e.sender, room.code);
  }
}

// One entry per name: several connections of one person are one member.
function renderMembers() {
  const room = state.rooms.get(ui.target.value);
  const people = new Map(); // sender -> { count, own }
  if (room) {
    const all = [...room.members.values()];
    // The page is a member as soon as it joined, whatever the list says yet.
    if (room.joined && state.me !== null && state.client !== null &&
        !room.members.has(state.client)) {
      all.push({ client: state.client, sender: state.me });
    }
    for (const m of all) {
      const p = people.get(m.sender) || { count: 0, own: false };
      p.count += 1;
      p.own = p.own || m.client === state.client;
      people.set(m.sender, p);
    }
  }
  const names = [...people.keys()].sort((a, b) => a.localeCompare(b));

  const items = names.map((name) => {
    const p = people.get(name);
    const li = document.createElement('li');
    li.className = p.own ? 'member own' : 'member';
    li.dataset.sender = name;
    const nameEl = document.createElement('span');
    nameEl.className = 'member-name';
    nameEl.textContent = name;
    li.append(nameEl);
    if (p.own) {
      const you = document.createElement('span');
      you.className = 'member-you';
      you.textContent = WORDS.you;
      li.append(you);
    }
    if (p.count > 1) {
      const count = document.createElement('span');
      count.className = 'member-count';
      count.textContent = `×${p.count}`;
      count.title = WORDS.connections(p.count);
      li.append(count);
    }
    return li;
  });
  ui.members.replaceChildren(...items);
  ui.membersTitle.textContent = room ? WORDS.membersOf(room.code, names.length) : WORDS.members;

  let hint = '';
  if (!room) hint = WORDS.membersNoRoom;
  else if (room.membersProblem) hint = WORDS.membersUnavailable;
  else if (!room.membersKnown) hint = WORDS.membersLoading;
  ui.membersHint.textContent = hint;
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

// The list item of a message, or null when it is not one or was already shown.
function buildMessage(f, log) {
  const msg = f.msg;
  if (!msg || typeof msg.sender !== 'string' || typeof msg.text !== 'string') return null;
  const id = f.id !== undefined ? String(f.id) : '';
  if (id && log.ids.has(id)) return null;
  remember(log, id);
  const own = state.me !== null && msg.sender === state.me;

  const li = document.createElement('li');
  li.className = own ? 'message own' : 'message';
  li.dataset.room = String(f.roomCode);
  if (id) li.dataset.id = id;
  if (isOffset(f.offset) && f.offset > 0) li.dataset.offset = String(f.offset);

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
  return li;
}

function addMessage(f) {
  const log = logOf(String(f.roomCode));
  const li = buildMessage(f, log);
  if (!li) return;
  if (isOffset(f.offset) && f.offset > 0) {
    // An offset that does not grow on a message never seen: the room's offsets started
    // again (its history was lost), so its next resume will be told so.
    if (f.offset <= log.offset) log.floor = 0;
    log.offset = f.offset;
  }
  if (log.waiting && !log.anchor) log.anchor = li;
  appendItem(li, li.classList.contains('own'));
}

function addNotice(roomCode, words, kind = '') {
  const li = document.createElement('li');
  li.className = kind ? `notice ${kind}` : 'notice';
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
  const base = ERROR_WORDS[code] || WORDS.unknownError(code);
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
  close.setAttribute('aria-label', WORDS.dismiss);
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
  // an empty field means the room its placeholder shows
  joinRoom(ui.room.value.trim() || ui.room.placeholder);
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
