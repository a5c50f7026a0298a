// The long-poll transport of the channels client (docs/protocols/longpoll.md).
import { parseCursor, isAuthCode, refusal, streamStart } from './common.js';

export class LongPollTransport {
  name = 'poll';
  #abort = null;
  #running = false;

  constructor(client) {
    this.client = client;
  }

  async open() {
    this.#running = true;
    // The first poll answers at once: it proves the endpoint works and learns positions.
    await this.#poll(0);
    this.#loop();
  }

  update() {
    this.#abort?.abort(); // the loop polls again with the new channel set
  }

  async #loop() {
    while (this.#running) {
      try {
        await this.#poll(this.client.options.pollTimeout);
      } catch (err) {
        if (!this.#running) return;
        if (err.name === 'AbortError') continue;
        if (isAuthCode(err.code) && await this.client._refreshAfter(err)) continue;
        this.#running = false;
        this.client._dropped({ transport: 'poll', code: err.code ?? 'connection_lost', reason: err.message, reconnect: !err.fatal, error: err.fatal ? err : undefined });
        return;
      }
    }
  }

  async #poll(timeout) {
    const { client } = this;
    const abort = new AbortController();
    this.#abort = abort;
    this.version = client._version;
    const channels = [...client._channels.keys()];
    if (!channels.length) {
      await new Promise((resolve) => { abort.signal.addEventListener('abort', resolve); });
      return;
    }
    const cursor = await streamStart(client, channels, async (unknown) => {
      const answer = await this.#get(unknown, undefined, 0, abort.signal);
      return parseCursor(answer.cursor);
    });
    const answer = await this.#get(channels, cursor, timeout, abort.signal);
    if (!this.#running || abort.signal.aborted) return;
    for (const d of answer.discontinuities ?? []) client._discontinuity(d);
    for (const p of answer.publications ?? []) client._deliver(p);
    const positions = parseCursor(answer.cursor);
    channels.forEach((channel, i) => client._confirmed(channel, positions[i], true));
  }

  async #get(channels, cursor, timeout, signal) {
    const query = { timeout: String(timeout) };
    if (cursor) query.cursor = cursor;
    const res = await this.client._fetch('poll', this.client._endpoint('poll', channels, query), { headers: { accept: 'application/json' }, signal });
    if (!res.ok) throw await refusal(res, 'poll');
    return res.json();
  }

  close() {
    this.#running = false;
    this.#abort?.abort();
  }
}
