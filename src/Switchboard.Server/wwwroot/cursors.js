// Collaborative cursors on a shared board (?room=, default lobby; channel cursors.<room>) over the plain
// WebSocket protocol (/ws, docs/protocols/websocket.md). Each page publishes its pointer as a 'move'
// {id, name, color, x, y} (x and y from 0 to 1 across the board, null while the pointer is off it) at
// most every 33 ms and only when it moved, again every 3 s as a heartbeat, and a 'leave' on pagehide.
// The server conflates 'cursors.*' by the data's id (appsettings.json: LatestPerKey), so a reader that
// falls behind gets each participant's newest position, never a backlog. Who is here: whoever was heard
// from in the last 10 s (a participant that left without a 'leave' fades out); the presence op counts
// the connections. The connection is the channels client's (clients/js), on the WebSocket transport
// only: it reconnects with backoff and jitter by itself. window.cursors exposes the page's state for tests.
import { ChannelClient } from './lib/switchboard-channels.js';

// Relative to the page, so the demos work under a path prefix too.
const RELATIVE_PATHS = { ws: 'ws', sse: 'sse', poll: 'poll', api: 'api' };
// Failures of a publish or presence request that only mean the connection went away (it comes back).
const TRANSIENT = new Set(['rate_limited', 'connection_closed', 'not_connected', 'timeout', 'closed']);

{

  const SEND_EVERY_MS = 33;
  const HEARTBEAT_MS = 3_000;
  const EXPIRE_MS = 10_000;
  const PRESENCE_MS = 4_000;
  const ADJECTIVES = ['Brisk', 'Calm', 'Clever', 'Eager', 'Gentle', 'Jolly', 'Lucky', 'Nimble', 'Quiet', 'Swift', 'Witty', 'Bold'];
  const ANIMALS = ['Otter', 'Heron', 'Lynx', 'Badger', 'Falcon', 'Panda', 'Koala', 'Fox', 'Marten', 'Puffin', 'Ibex', 'Gecko'];
  const COLORS = ['#e11d48', '#db2777', '#9333ea', '#4f46e5', '#2563eb', '#0891b2', '#059669', '#65a30d', '#d97706', '#ea580c'];

  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  const room = (new URLSearchParams(location.search).get('room') || '').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32) || 'lobby';
  const me = {
    id: Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join(''),
    name: `${pick(ADJECTIVES)} ${pick(ANIMALS)}`,
    color: pick(COLORS),
  };
  const state = {
    me, room, channel: `cursors.${room}`,
    connected: false,
    x: null, y: null, // this page's pointer, as last published
    published: 0, received: 0, rate: 0,
    connections: null, // from the presence op
    others: new Map(), // id -> { id, name, color, x, y, shownX, shownY, seen, el }
  };
  window.cursors = state;

  const el = {
    status: document.getElementById('status'),
    board: document.getElementById('board'),
    people: document.getElementById('people'),
    meta: document.getElementById('meta'),
  };
  document.getElementById('channel').textContent = state.channel;
  document.title = `Switchboard · cursors · ${room}`;

  const client = new ChannelClient(new URL('.', location.href), { transports: ['ws'], paths: RELATIVE_PATHS, backoff: { max: 10_000 } });
  state.client = client;
  let moved = false; // a position waits to be published
  let lastSent = 0;
  let receivedThisSecond = 0;
  let boardSize = { width: el.board.clientWidth, height: el.board.clientHeight };
  new ResizeObserver(() => { boardSize = { width: el.board.clientWidth, height: el.board.clientHeight }; }).observe(el.board);

  function setStatus(text, kind) {
    el.status.textContent = text;
    el.status.dataset.state = kind;
  }

  function refused(err) {
    if (!TRANSIENT.has(err.code)) el.meta.textContent = `Refused: ${err.message}`;
  }

  function publish(event) {
    if (client.transport !== 'ws') return;
    const data = event === 'leave' ? { id: me.id } : { ...me, x: state.x, y: state.y };
    // echo: false, this page draws its own pointer already.
    client.publish(state.channel, data, { event, echo: false }).catch(refused);
    state.published++;
  }

  function askPresence() {
    client.request('presence', { channel: state.channel }).then((reply) => {
      state.connections = reply.count;
      renderMeta();
    }, refused);
  }

  // --- this page's pointer -------------------------------------------------------------------------

  const round = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10_000) / 10_000;

  el.board.addEventListener('pointermove', (e) => {
    const rect = el.board.getBoundingClientRect();
    state.x = round((e.clientX - rect.left) / rect.width);
    state.y = round((e.clientY - rect.top) / rect.height);
    moved = true;
  });
  el.board.addEventListener('pointerleave', () => {
    state.x = null;
    state.y = null;
    moved = true;
  });

  // --- the other participants ----------------------------------------------------------------------

  const ARROW = '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M1 1 L1 13.5 L4.6 10.2 L7.1 15.2 L9.3 14.2 L6.9 9.3 L11.8 9.3 Z"/></svg>';
  const position = (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? v : null);

  function upsert(data) {
    if (typeof data?.id !== 'string' || data.id === me.id) return;
    let other = state.others.get(data.id);
    if (!other) {
      const cursor = document.createElement('div');
      cursor.className = 'cursor';
      cursor.dataset.id = data.id;
      cursor.innerHTML = `${ARROW}<span class="name"></span>`;
      el.board.append(cursor);
      other = { id: data.id, x: null, y: null, shownX: null, shownY: null, el: cursor };
      state.others.set(data.id, other);
    }
    other.name = typeof data.name === 'string' && data.name ? data.name.slice(0, 40) : 'someone';
    other.color = /^#[0-9a-f]{6}$/i.test(data.color) ? data.color : '#6b7280';
    other.x = position(data.x);
    other.y = position(data.y);
    other.seen = performance.now();
    const cursor = other.el;
    cursor.style.setProperty('--color', other.color);
    cursor.querySelector('.name').textContent = other.name;
    cursor.dataset.x = other.x ?? '';
    cursor.dataset.y = other.y ?? '';
    cursor.hidden = other.x === null || other.y === null;
    cursor.classList.toggle('flip', other.x > 0.7); // the name tag to the left, near the right edge
    if (cursor.hidden) other.shownX = null;
    renderPeople();
  }

  function remove(id) {
    const other = state.others.get(id);
    if (!other) return;
    other.el.remove();
    state.others.delete(id);
    renderPeople();
  }

  function renderPeople() {
    const people = [{ ...me, you: true }, ...[...state.others.values()].sort((a, b) => a.name.localeCompare(b.name))];
    el.people.replaceChildren(...people.map((p) => {
      const li = document.createElement('li');
      li.dataset.id = p.id;
      li.style.setProperty('--color', p.color);
      li.innerHTML = '<span class="dot"></span><span class="who"></span>';
      li.querySelector('.who').textContent = p.you ? `${p.name} (you)` : p.name;
      return li;
    }));
    renderMeta();
  }

  function renderMeta() {
    const here = state.others.size + 1;
    const connections = state.connections === null ? '' : ` · ${state.connections} connection${state.connections === 1 ? '' : 's'} on the channel`;
    el.meta.textContent = `${here} here${connections}`;
  }

  // --- one loop per frame: publish the pointer when due, ease the other pointers to their targets ----

  function frame(now) {
    if (moved && now - lastSent >= SEND_EVERY_MS && state.connected) {
      moved = false;
      lastSent = now;
      publish('move');
    }
    for (const other of state.others.values()) {
      if (other.x === null || other.y === null) continue;
      if (other.shownX === null) {
        other.shownX = other.x;
        other.shownY = other.y;
      } else {
        other.shownX += (other.x - other.shownX) * 0.35;
        other.shownY += (other.y - other.shownY) * 0.35;
        if (Math.abs(other.x - other.shownX) < 0.0005) other.shownX = other.x;
        if (Math.abs(other.y - other.shownY) < 0.0005) other.shownY = other.y;
      }
      other.el.style.transform = `translate(${(other.shownX * boardSize.width).toFixed(1)}px, ${(other.shownY * boardSize.height).toFixed(1)}px)`;
    }
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);

  setInterval(() => {
    if (state.connected) publish('move'); // the heartbeat: still here
    const now = performance.now();
    for (const other of state.others.values()) {
      if (now - other.seen > EXPIRE_MS) remove(other.id);
    }
  }, HEARTBEAT_MS);

  setInterval(() => { if (state.connected) askPresence(); }, PRESENCE_MS);

  setInterval(() => {
    state.rate = receivedThisSecond;
    receivedThisSecond = 0;
    if (state.connected) setStatus(`live · ${state.rate} msg/s`, 'connected');
  }, 1_000);

  // --- the connection ------------------------------------------------------------------------------

  function connect() {
    const subscription = client.subscribe(state.channel);
    subscription.on('publication', (p) => {
      state.received++;
      receivedThisSecond++;
      if (p.event === 'move') upsert(p.data);
      else if (p.event === 'leave' && typeof p.data?.id === 'string') remove(p.data.id);
    });
    client.on('error', refused);
    client.on('connected', () => {
      state.connected = true;
      setStatus('live', 'connected');
      publish('move');
      askPresence();
    });
    client.on('disconnected', ({ code, reason, reconnect }) => {
      state.connected = false;
      for (const id of [...state.others.keys()]) remove(id);
      // 4500-4999, or a close push that says so: the client does not reconnect (docs/protocols/websocket.md).
      if (!reconnect) setStatus(`disconnected: ${reason || code}`, 'disconnected');
      else setStatus(code === 'slow_consumer' ? 'too slow, reconnecting…' : 'reconnecting…', 'connecting');
    });
  }

  addEventListener('pagehide', () => publish('leave'));
  renderPeople();
  connect();
}
