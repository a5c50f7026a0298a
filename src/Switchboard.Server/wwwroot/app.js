// The demo chat client. It speaks the event contract described in Chat/ChatApp.cs through the official
// socket.io browser client (lib/socket.io.min.js, copied from npm by the build). ?transport=polling or
// ?transport=websocket forces one transport; without it the client starts on polling and upgrades.
'use strict';

(() => {
  const ACK_TIMEOUT_MS = 5000;
  const TYPING_IDLE_MS = 1500;

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'),
    joinForm: $('join-form'),
    nickname: $('nickname'),
    room: $('room'),
    roomTitle: $('room-title'),
    messages: $('messages'),
    typing: $('typing'),
    messageForm: $('message-form'),
    message: $('message'),
    send: $('send'),
  };

  const transport = new URLSearchParams(location.search).get('transport');
  // Relative to the page, so the chat also works under a path prefix (Switchboard:PathBase, docs/proxies.md).
  const path = new URL('socket.io', location.href).pathname;
  const socket = io({ path, ...(transport === 'polling' || transport === 'websocket' ? { transports: [transport] } : {}) });
  // For the browser tests and for poking around in the console.
  window.chat = { socket };

  let joined = null; // { room, nickname } as accepted by the server
  let typingTimer = 0; // non-zero while the others are told this user is typing
  const typers = new Set();

  function setStatus(state, text) {
    ui.status.dataset.state = state;
    ui.status.textContent = text;
  }

  function showTransport() {
    setStatus('connected', `connected · ${socket.io.engine.transport.name}`);
  }

  function time(ts) {
    return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function append(li) {
    const atBottom = ui.messages.scrollTop + ui.messages.clientHeight >= ui.messages.scrollHeight - 4;
    ui.messages.append(li);
    if (atBottom) li.scrollIntoView({ block: 'end' });
    return li;
  }

  function span(className, text) {
    const element = document.createElement('span');
    element.className = className;
    element.textContent = text;
    return element;
  }

  function addMessage({ nickname, text, ts, own = false }) {
    const li = document.createElement('li');
    li.className = own ? 'message own' : 'message';
    li.append(span('from', nickname), span('text', text), span('time', time(ts)));
    return append(li);
  }

  function notice(text) {
    const li = document.createElement('li');
    li.className = 'notice';
    li.textContent = text;
    return append(li);
  }

  function renderTyping() {
    const names = [...typers];
    ui.typing.textContent =
      names.length === 0 ? ''
        : names.length === 1 ? `${names[0]} is typing…`
          : names.length === 2 ? `${names[0]} and ${names[1]} are typing…`
            : 'several people are typing…';
  }

  function setTyping(nickname, typing) {
    if (typing) typers.add(nickname); else typers.delete(nickname);
    renderTyping();
  }

  function join(room, nickname) {
    socket.timeout(ACK_TIMEOUT_MS).emit('join', room, nickname, (err, reply) => {
      if (err) return notice('Could not join: the server did not answer.');
      if (reply.error) return notice(`Could not join: ${reply.error.message}`);
      const moved = joined?.room !== reply.room;
      joined = reply;
      ui.roomTitle.textContent = `#${reply.room} · you are ${reply.nickname}`;
      ui.roomTitle.hidden = false;
      ui.message.disabled = ui.send.disabled = false;
      ui.message.placeholder = `Message #${reply.room}`;
      if (moved) {
        typers.clear();
        renderTyping();
        notice(`You joined #${reply.room}.`);
      }
      ui.message.focus();
    });
  }

  // Typing notices are not buffered while disconnected: they would be stale by the time they arrive.
  // (socket.volatile would also drop them while a polling request is in flight, which is often.)
  function notify(event) {
    if (socket.connected) socket.emit(event);
  }

  function stopTyping() {
    if (!typingTimer) return;
    clearTimeout(typingTimer);
    typingTimer = 0;
    notify('stop typing');
  }

  ui.joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    join(ui.room.value.trim().toLowerCase(), ui.nickname.value.trim());
  });

  ui.message.addEventListener('input', () => {
    if (!joined) return;
    if (typingTimer) clearTimeout(typingTimer); else notify('typing');
    typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  });

  ui.messageForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.message.value;
    if (!joined || !text.trim()) return;
    ui.message.value = '';
    stopTyping();
    const li = addMessage({ nickname: joined.nickname, text, ts: Date.now(), own: true });
    const ack = li.appendChild(span('ack', '…'));
    li.dataset.state = 'pending';
    socket.timeout(ACK_TIMEOUT_MS).emit('chat message', text, (err, reply) => {
      if (err || reply.error) {
        li.dataset.state = 'failed';
        ack.textContent = '✗';
        ack.title = err ? 'The server did not acknowledge this message.' : reply.error.message;
        return;
      }
      li.dataset.state = 'acked';
      li.dataset.id = reply.id;
      li.querySelector('.time').textContent = time(reply.ts);
      ack.textContent = '✓';
      ack.title = 'delivered';
    });
  });

  socket.on('connect', () => {
    showTransport();
    socket.io.engine.on('upgrade', showTransport);
    // A reconnection is a new socket on the server: take the room back.
    if (joined) join(joined.room, joined.nickname);
  });
  socket.on('disconnect', (reason) => setStatus('disconnected', `disconnected · ${reason}`));
  socket.on('connect_error', (err) => setStatus('disconnected', `cannot connect · ${err.message}`));

  socket.on('chat message', (message) => {
    setTyping(message.nickname, false);
    addMessage(message);
  });
  socket.on('user joined', ({ nickname }) => notice(`${nickname} joined.`));
  socket.on('user left', ({ nickname }) => {
    setTyping(nickname, false);
    notice(`${nickname} left.`);
  });
  socket.on('typing', ({ nickname }) => setTyping(nickname, true));
  socket.on('stop typing', ({ nickname }) => setTyping(nickname, false));
})();
