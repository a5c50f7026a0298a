// Live prices from the channels prices.<SYMBOL>: over Server-Sent Events (EventSource on /sse), or with
// ?via=ws over the plain WebSocket protocol (/ws, docs/protocols/websocket.md). window.ticker exposes
// the page's state for tests.
(() => {
  'use strict';

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

  function openEventSource(config) {
    const query = config.channels.map((c) => `channel=${encodeURIComponent(c)}`).join('&');
    const source = new EventSource(`sse?${query}`);
    source.addEventListener('subscribed', () => setStatus('live · EventSource', 'connected'));
    source.addEventListener(config.event, (e) => apply(JSON.parse(e.data).data));
    // EventSource reconnects by itself, resuming from the last event id.
    source.addEventListener('error', () => setStatus('reconnecting…', 'connecting'));
  }

  function openWebSocket(config, attempt = 0) {
    const ws = new WebSocket(new URL('ws', location.href).href.replace(/^http/, 'ws'));
    let id = 0;
    ws.addEventListener('message', (e) => {
      const frame = JSON.parse(e.data);
      if (frame.type === 'welcome') {
        for (const channel of config.channels) ws.send(JSON.stringify({ id: ++id, op: 'subscribe', channel }));
        setStatus('live · WebSocket', 'connected');
        attempt = 0;
      } else if (frame.type === 'pub' && frame.event === config.event) {
        apply(frame.data);
      } else if (frame.ok === false) {
        el.meta.textContent = `Refused: ${frame.error.message}`;
      }
    });
    ws.addEventListener('close', () => {
      setStatus('reconnecting…', 'connecting');
      setTimeout(() => openWebSocket(config, attempt + 1), Math.min(10_000, 500 * 2 ** attempt));
    });
  }

  fetch('demo/ticker')
    .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`HTTP ${res.status}`))))
    .then((config) => {
      buildRows(config.symbols);
      if (via === 'ws') openWebSocket(config); else openEventSource(config);
    })
    .catch((err) => setStatus(`unavailable: ${err.message}`, 'disconnected'));
})();
