// The token-stream demo. POST /demo/answers starts an answer and returns its channel and the SSE cursor
// of its beginning; the page reads the channel over Server-Sent Events (/sse) with the channels client
// (clients/js), appending each token. After every token it saves the text and the cursor of the channel's
// position in sessionStorage under the answer's id, which is also in the URL (?answer=<id>): a reload
// subscribes again from that position (the client sends it as the lastEventId query parameter) and the
// server replays exactly the tokens after it. window.streamDemo exposes the state.
import { ChannelClient, formatCursor, parseCursor } from './lib/switchboard-channels.js';

// Relative to the page, so the demos work under a path prefix too.
const RELATIVE_PATHS = { ws: 'ws', sse: 'sse', poll: 'poll', api: 'api' };

{

  const storageKey = (id) => `switchboard.answer.${id}`;
  const demo = { state: null, source: null, resumed: false, errors: [] };
  window.streamDemo = demo;

  const el = {
    form: document.getElementById('ask'),
    prompt: document.getElementById('prompt'),
    send: document.getElementById('send'),
    status: document.getElementById('status'),
    question: document.getElementById('question'),
    answer: document.getElementById('answer'),
    meta: document.getElementById('meta'),
    error: document.getElementById('error'),
  };

  function setStatus(text, state) {
    el.status.textContent = text;
    el.status.dataset.state = state;
  }

  function showError(message) {
    demo.errors.push(message);
    el.error.textContent = message;
    el.error.hidden = false;
  }

  function save() {
    sessionStorage.setItem(storageKey(demo.state.id), JSON.stringify(demo.state));
  }

  function render() {
    const s = demo.state;
    el.question.hidden = false;
    el.question.textContent = s.prompt;
    el.answer.textContent = s.text;
    el.answer.dataset.state = s.done ? 'done' : 'streaming';
    el.meta.textContent = `${s.count} of ${s.tokens} tokens${s.done ? '' : '…'}${demo.resumed ? ' · resumed after reload' : ''}`;
  }

  function stop() {
    demo.source?.close();
    demo.source = null;
  }

  function open() {
    const s = demo.state;
    const client = new ChannelClient(new URL('.', location.href), { transports: ['sse'], paths: RELATIVE_PATHS });
    demo.source = client;
    const subscription = client.subscribe(s.channel, { since: parseCursor(s.lastEventId)[0] });

    client.on('state', ({ state }) => {
      if (demo.source !== client) return;
      if (state === 'connected') setStatus('streaming', 'connected');
      // A dropped connection: the client reconnects by itself and resumes from the last token.
      else if (state === 'reconnecting') setStatus('reconnecting…', 'connecting');
    });
    subscription.on('publication', (p) => {
      if (p.event === 'token') {
        const { i, text } = p.data;
        if (i !== s.count) {
          stop();
          showError(`Expected token ${s.count} but got ${i}.`);
          return;
        }
        s.text += text;
        s.count++;
      } else if (p.event === 'done') {
        s.done = true;
        stop();
        setStatus('done', 'connected');
      }
      s.lastEventId = formatCursor([subscription.position]);
      save();
      render();
    });
    subscription.on('discontinuity', () => {
      stop();
      showError('This answer is no longer available on the server.');
      setStatus('gone', 'disconnected');
    });
  }

  async function ask(prompt) {
    stop();
    el.error.hidden = true;
    el.send.disabled = true;
    try {
      const res = await fetch('demo/answers', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt }),
      });
      const body = await res.json();
      if (!res.ok) {
        showError(body.error?.message ?? `HTTP ${res.status}`);
        return;
      }
      demo.resumed = false;
      demo.state = { id: body.id, channel: body.channel, prompt, text: '', count: 0, tokens: body.tokens, lastEventId: body.cursor, done: false };
      save();
      history.replaceState(null, '', `?answer=${encodeURIComponent(body.id)}`);
      render();
      open();
    } catch (err) {
      showError(`Could not ask: ${err.message}`);
    } finally {
      el.send.disabled = false;
    }
  }

  el.form.addEventListener('submit', (e) => {
    e.preventDefault();
    const prompt = el.prompt.value.trim();
    if (prompt) ask(prompt);
  });

  // After a reload: the answer named in the URL continues from where this tab had got.
  const id = new URLSearchParams(location.search).get('answer');
  const saved = id && sessionStorage.getItem(storageKey(id));
  if (saved) {
    demo.state = JSON.parse(saved);
    demo.resumed = !demo.state.done;
    el.prompt.value = demo.state.prompt;
    render();
    if (demo.state.done) setStatus('done', 'connected'); else open();
  }
}
