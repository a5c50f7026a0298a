// Live prices from the channels prices.<SYMBOL>: over Server-Sent Events (/sse), or with
// ?via=ws over the plain WebSocket protocol (/ws, docs/protocols/websocket.md), through the channels
// client (clients/js). window.ticker exposes the page's state for tests.
import { ChannelClient } from './lib/switchboard-channels.js';

// Relative to the page, so the demos work under a path prefix too.
const RELATIVE_PATHS = { ws: 'ws', sse: 'sse', poll: 'poll', api: 'api' };

const via = new URLSearchParams(location.search).get('via') === 'ws' ? 'ws' : 'sse';
const HISTORY = 40;
const ticker = { via, updates: 0, prices: {}, connected: false };
window.ticker = ticker;

const el = {
  status: document.getElementById('status'),
  via: document.getElementById('via'),
  rows: document.getElementById('rows'),
  meta: document.getElementById('meta'),
};
el.via.textContent = via === 'ws' ? 'a plain WebSocket' : 'Server-Sent Events';
document.getElementById(`via-${via}`).setAttribute('aria-current', 'true');

const rows = new Map();
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const signed = (value, suffix = '') => `${value > 0 ? '+' : value < 0 ? '−' : ''}${money.format(Math.abs(value))}${suffix}`;

function setStatus(text, state) {
  el.status.textContent = text;
  el.status.dataset.state = state;
  ticker.connected = state === 'connected';
}

function buildRows(symbols) {
  for (const symbol of symbols) {
    const tr = document.createElement('tr');
    tr.dataset.symbol = symbol;
    tr.innerHTML = '<td class="symbol"></td><td class="price">—</td><td class="change"></td>'
      + '<td><svg viewBox="0 0 100 20" preserveAspectRatio="none" aria-hidden="true"><polyline points=""/></svg></td><td class="time"></td>';
    tr.querySelector('.symbol').textContent = symbol;
    el.rows.append(tr);
    rows.set(symbol, { tr, history: [] });
  }
}

function apply(tick) {
  const row = rows.get(tick.symbol);
  if (!row) return;
  const previous = ticker.prices[tick.symbol];
  ticker.prices[tick.symbol] = tick.price;
  ticker.updates++;

  const price = row.tr.querySelector('.price');
  price.textContent = money.format(tick.price);
  price.classList.remove('up', 'down');
  if (previous !== undefined && previous !== tick.price) {
    void price.offsetWidth; // restarts the flash animation
    price.classList.add(tick.price > previous ? 'up' : 'down');
  }
  const change = row.tr.querySelector('.change');
  change.textContent = `${signed(tick.change)} (${signed(tick.changePercent, '%')})`;
  change.dataset.sign = tick.change > 0 ? 'up' : tick.change < 0 ? 'down' : '';
  row.tr.querySelector('.time').textContent = new Date(tick.time).toLocaleTimeString('en-GB');

  row.history.push(tick.price);
  if (row.history.length > HISTORY) row.history.shift();
  const low = Math.min(...row.history);
  const span = Math.max(...row.history) - low || 1;
  // The newest price at the right edge; older ones to its left, as the line fills in.
  const step = 100 / (HISTORY - 1);
  const first = HISTORY - row.history.length;
  row.tr.querySelector('polyline').setAttribute('points',
    row.history.map((p, i) => `${((first + i) * step).toFixed(1)},${(19 - ((p - low) / span) * 18).toFixed(1)}`).join(' '));
  el.meta.textContent = `${ticker.updates} updates received`;
}

function open(config) {
  // One client of /lib/switchboard-channels.js on the chosen transport only: it resumes every
  // channel after a drop, with backoff (docs/clients-js.md).
  const client = new ChannelClient(new URL('.', location.href), {
    transports: [via], paths: RELATIVE_PATHS, backoff: { max: 10_000 },
  });
  ticker.client = client;
  const label = via === 'ws' ? 'WebSocket' : 'EventSource';
  client.on('state', ({ state }) => {
    if (state === 'connected') setStatus(`live · ${label}`, 'connected');
    else if (state === 'reconnecting') setStatus('reconnecting…', 'connecting');
  });
  client.on('publication', (p) => { if (p.event === config.event) apply(p.data); });
  client.on('error', (err) => { el.meta.textContent = `Refused: ${err.message}`; });
  for (const channel of config.channels) client.subscribe(channel);
}

fetch('demo/ticker')
  .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`HTTP ${res.status}`))))
  .then((config) => {
    buildRows(config.symbols);
    open(config);
  })
  .catch((err) => setStatus(`unavailable: ${err.message}`, 'disconnected'));
