// The Server-Sent Events transport of the channels client, read over fetch streaming (docs/protocols/sse.md).
import { SwitchboardError, refusal, streamStart } from './common.js';

/** Reads an SSE response body, calling onEvent({event, data, id}) per event and onActivity per chunk. */
export async function readEventStream(body, onEvent, onActivity) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = { event: '', data: [], id: undefined };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onActivity();
    buffer += decoder.decode(value, { stream: true });
    for (;;) {
      const match = /\r\n|\n|\r/.exec(buffer);
      // A CR at the end may be the first half of a CRLF split across chunks.
      if (!match || (match[0] === '\r' && match.index === buffer.length - 1)) break;
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (line === '') {
        if (event.data.length) onEvent({ event: event.event || 'message', data: event.data.join('\n'), id: event.id });
        event = { event: '', data: [], id: undefined };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let text = colon < 0 ? '' : line.slice(colon + 1);
      if (text.startsWith(' ')) text = text.slice(1);
      if (field === 'event') event.event = text;
      else if (field === 'data') event.data.push(text);
      else if (field === 'id') event.id = text;
    }
  }
}


export class ServerSentEventsTransport {
  name = 'sse';
  #abort = null;
  #idle = null;
  #generation = 0;

  constructor(client) {
    this.client = client;
  }

  async open() {
    await this.#start();
  }

  update() {
    this.#restart();
  }

  async #restart() {
    try {
      await this.#start();
    } catch (err) {
      if (err.name !== 'AbortError') this.#drop(err);
    }
  }

  async #start() {
    const { client } = this;
    const generation = ++this.#generation;
    this.#abort?.abort();
    clearTimeout(this.#idle);
    const abort = new AbortController();
    this.#abort = abort;
    this.version = client._version;
    const channels = [...client._channels.keys()];
    if (!channels.length) return;
    const cursor = await streamStart(client, channels, (unknown) => this.#probe(unknown, abort.signal));
    const res = await client._fetch('sse', client._endpoint('sse', channels, cursor ? { lastEventId: cursor } : {}), {
      headers: { accept: 'text/event-stream' }, signal: abort.signal,
    });
    if (!res.ok) throw await refusal(res, 'sse');
    let closing = null;
    let subscribed;
    const ready = new Promise((resolve, reject) => { subscribed = { resolve, reject }; });
    const armIdle = () => {
      clearTimeout(this.#idle);
      this.#idle = setTimeout(() => abort.abort(), client.options.sseIdleTimeout);
    };
    armIdle();
    const reading = readEventStream(res.body, ({ event, data }) => {
      let value;
      try {
        value = JSON.parse(data);
      } catch {
        return;
      }
      if (event === 'subscribed') {
        this.connectionId = value.connectionId;
        for (const position of value.channels ?? []) client._confirmed(position.channel, position);
        subscribed.resolve();
      } else if (event === 'discontinuity') client._discontinuity(value);
      else if (event === 'close') closing = value;
      else if (value && typeof value.channel === 'string') client._deliver(value);
    }, armIdle);
    reading.then(() => {
      subscribed.reject(new SwitchboardError('transport_failed', 'sse: the stream ended before subscribed', { fallback: true, transport: 'sse' }));
      if (generation === this.#generation) {
        clearTimeout(this.#idle);
        this.#drop(null, closing);
      }
    }, (err) => {
      subscribed.reject(new SwitchboardError('transport_failed', `sse: ${err.message}`, { fallback: true, transport: 'sse' }));
      if (generation === this.#generation && !(err.name === 'AbortError' && this.#abort !== abort)) this.#drop(err, closing);
    });
    await ready;
  }

  async #probe(channels, signal) {
    // A short stream without a cursor: its `subscribed` event holds the channels' current positions.
    const probe = new AbortController();
    signal.addEventListener('abort', () => probe.abort());
    const res = await this.client._fetch('sse', this.client._endpoint('sse', channels, {}), { headers: { accept: 'text/event-stream' }, signal: probe.signal });
    if (!res.ok) throw await refusal(res, 'sse');
    let positions;
    await readEventStream(res.body, ({ event, data }) => {
      if (event === 'subscribed' && !positions) {
        positions = JSON.parse(data).channels;
        probe.abort();
      }
    }, () => {}).catch((err) => { if (!positions) throw err; });
    if (!positions) throw new SwitchboardError('transport_failed', 'sse: no subscribed event', { transport: 'sse' });
    return positions;
  }

  #drop(err, closing) {
    if (this.#abort === null) return;
    this.#abort = null;
    this.client._dropped({
      transport: 'sse',
      code: closing?.code ?? err?.code ?? 'connection_lost',
      reason: closing?.reason ?? err?.message,
      reconnect: closing?.reconnect !== false && !err?.fatal,
      error: err?.fatal ? err : undefined,
    });
  }

  close() {
    const abort = this.#abort;
    this.#abort = null;
    this.#generation++;
    clearTimeout(this.#idle);
    abort?.abort();
  }
}
