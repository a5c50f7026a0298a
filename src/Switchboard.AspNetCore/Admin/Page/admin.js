// The Switchboard admin page (docs/admin.md). Fed by the server's own SSE stream of snapshots
// ("stream", one per second): no polling loop. Every URL is relative, so the page works under a path base.
'use strict';

const $ = (selector) => document.querySelector(selector);
let selected = null; // { ns, name, offset }

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  if (className) td.className = className;
  return td;
}

function post(path, body) {
  return fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (res) => {
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(json.error?.message || `HTTP ${res.status}`);
    return json;
  });
}

function renderNodes(s) {
  const list = $('#nodes');
  list.replaceChildren();
  if (!s.cluster) {
    $('#node-note').textContent = 'A single node (no cluster configured).';
    return;
  }
  $('#node-note').textContent = s.nodesError ? `The node list could not be read: ${s.nodesError}` : `${s.nodes.length} live node(s); this is ${s.node}.`;
  for (const node of s.nodes) {
    const li = document.createElement('li');
    li.textContent = node === s.node ? `${node} (this node)` : node;
    list.append(li);
  }
}

function renderProtocols(s) {
  for (const card of document.querySelectorAll('.card[data-protocol]')) {
    card.querySelector('.count').textContent = String(s.protocols[card.dataset.protocol] ?? 0);
  }
  $('#engine-detail').textContent = `${s.engine.websocket} websocket, ${s.engine.polling} polling`;
}

function renderChannels(s) {
  $('#channel-count').textContent = s.channels.length < s.channelCount ? `(${s.channels.length} of ${s.channelCount})` : `(${s.channelCount})`;
  const body = $('#channels tbody');
  body.replaceChildren();
  for (const c of s.channels) {
    const tr = document.createElement('tr');
    tr.dataset.channel = c.name;
    tr.dataset.ns = c.ns;
    const name = c.ns === '/' ? c.name : `${c.ns} ${c.name}`;
    tr.append(cell(name, 'name'), cell(String(c.subscribers), 'subscribers'), cell(c.rate === null ? '…' : String(c.rate), 'rate'), cell(String(c.offset), 'offset'));
    if (selected && selected.ns === c.ns && selected.name === c.name) {
      tr.classList.add('selected');
      // The detail follows the channel: read again when its top offset moved.
      if (selected.offset !== c.offset) loadDetail(c.ns, c.name, c.offset);
    }
    tr.addEventListener('click', () => select(c.ns, c.name, c.offset));
    body.append(tr);
  }
}

function renderConnections(s) {
  $('#connection-count').textContent = s.connections.length < s.connectionCount ? `(${s.connections.length} of ${s.connectionCount} on this node)` : `(${s.connectionCount} on this node)`;
  const body = $('#connections tbody');
  body.replaceChildren();
  for (const c of s.connections) {
    const tr = document.createElement('tr');
    tr.dataset.connection = c.id;
    tr.dataset.protocol = c.protocol;
    const button = document.createElement('button');
    button.className = 'disconnect';
    button.type = 'button';
    button.textContent = 'Disconnect';
    button.addEventListener('click', () => {
      button.disabled = true;
      post('disconnect', { ns: c.ns, connectionId: c.id })
        .then(() => { $('#disconnect-result').textContent = `Disconnected ${c.id}.`; })
        .catch((err) => { $('#disconnect-result').textContent = `Not disconnected: ${err.message}`; button.disabled = false; });
    });
    const protocol = c.transport ? `${c.protocol} (${c.transport})` : c.protocol;
    const actions = document.createElement('td');
    actions.append(button);
    // The button before the namespace and user, so it shows on a narrow screen without scrolling.
    tr.append(cell(c.id, 'id'), cell(protocol, 'protocol'), actions, cell(c.ns), cell(c.user ?? ''));
    body.append(tr);
  }
}

function select(ns, name, offset) {
  $('#publish-channel').value = name;
  loadDetail(ns, name, offset);
  for (const tr of document.querySelectorAll('#channels tbody tr')) {
    tr.classList.toggle('selected', tr.dataset.ns === ns && tr.dataset.channel === name);
  }
}

function loadDetail(ns, name, offset) {
  selected = { ns, name, offset };
  fetch(`channel?ns=${encodeURIComponent(ns)}&channel=${encodeURIComponent(name)}`)
    .then((res) => res.json())
    .then((d) => {
      if (!selected || selected.name !== name || selected.ns !== ns) return;
      $('#detail').hidden = false;
      $('#detail-name').textContent = name;
      const presence = $('#presence');
      presence.replaceChildren();
      if (d.presence) {
        $('#presence-count').textContent = `(${d.presence.connections} connections, ${d.presence.users} users)`;
        for (const m of d.presence.members) {
          const li = document.createElement('li');
          li.textContent = `${m.protocol} ${m.connectionId}${m.userId ? ` user ${m.userId}` : ''}${m.node ? ` on ${m.node}` : ''}`;
          presence.append(li);
        }
      } else {
        $('#presence-count').textContent = `(unavailable: ${d.presenceError ?? d.error?.message ?? 'unknown'})`;
      }
      const history = $('#history');
      history.replaceChildren();
      for (const p of (d.publications ?? []).slice().reverse()) {
        const li = document.createElement('li');
        li.textContent = `#${p.offset} ${p.event}: ${JSON.stringify(p.data)}`;
        history.append(li);
      }
    })
    .catch(() => { /* the next snapshot shows whether the server is there */ });
}

$('#publish').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('#publish-data').value;
  let data;
  try { data = text.trim() === '' ? null : JSON.parse(text); } catch { data = text; }
  const body = { ns: selected?.ns ?? '/', channel: $('#publish-channel').value, event: $('#publish-event').value || 'message', data };
  post('publish', body)
    .then((r) => { $('#publish-result').textContent = `Published to ${body.channel}: offset ${r.offset}.`; })
    .catch((err) => { $('#publish-result').textContent = `Not published: ${err.message}`; });
});

const stream = new EventSource('stream');
stream.onopen = () => { $('#status').textContent = 'live'; $('#status').className = 'status live'; };
stream.onerror = () => { $('#status').textContent = 'reconnecting…'; $('#status').className = 'status down'; };
stream.onmessage = (event) => {
  const s = JSON.parse(event.data);
  renderNodes(s);
  renderProtocols(s);
  renderChannels(s);
  renderConnections(s);
  document.body.dataset.snapshot = s.time;
};
