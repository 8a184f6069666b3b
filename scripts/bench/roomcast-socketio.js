'use strict';
// Fan-out bench client adapter: socket.io-client against roomcastd's /socket.io/, with the
// same client options as the harness' adapter for socket.io servers (WebSocket transport
// only, one Manager per client, no automatic reconnection, so drops are seen). Installed by
// scripts/bench-socketio.sh into a copy of the harness as its roomcast adapter.
//   connect io("http://HOST:PORT/", {auth: {sender}})
//   join(roomCode) -> ack {joined:true,…} or {error,message}
//   send({roomCode, text}) without an ack, as the socket.io adapter sends
//   MSG_TO_CLIENTS ({sender, text}, {namespace, roomCode, id, ts, offset})
const { io } = require('socket.io-client');

module.exports = {
  name: 'roomcast-socketio',
  joinAcked: true,
  connect({ host, port, sender, onMessage, onClose, timeoutMs = 15000 }) {
    return new Promise((resolve, reject) => {
      const s = io(`http://${host}:${port}`, {
        transports: ['websocket'], forceNew: true, reconnection: false, timeout: timeoutMs,
        auth: { sender },
      });
      let opened = false;
      const client = {
        stats: { errors: 0, errorCodes: {} },
        join(namespace, roomCode) {
          return new Promise((res, rej) => {
            s.timeout(timeoutMs).emit('join', roomCode, (err, ack) => {
              if (err) rej(err);
              else if (!ack || ack.error) rej(new Error(`join refused: ${ack && ack.error}`));
              else res();
            });
          });
        },
        send(namespace, roomCode, text) {
          s.emit('send', { roomCode, text });
        },
        buffered() { return 0; },
        close() { try { s.disconnect(); } catch {} },
      };
      s.on('connect', () => { opened = true; resolve(client); });
      s.on('connect_error', (e) => { if (!opened) reject(e); else client.stats.errors++; });
      s.on('MSG_TO_CLIENTS', (msg) => { if (msg) onMessage(msg.sender, msg.text); });
      s.on('error', (e) => {
        client.stats.errors++;
        const code = (e && e.code) || 'unknown';
        client.stats.errorCodes[code] = (client.stats.errorCodes[code] || 0) + 1;
      });
      s.on('disconnect', (reason) => { if (opened) onClose(reason); });
    });
  },
};
