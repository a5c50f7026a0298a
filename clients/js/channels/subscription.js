// One channel of a client: events and an async iterator (docs/clients-js.md).
import { Emitter } from './common.js';

// ---- subscriptions ------------------------------------------------------------------------------

/**
 * One channel of a client. Publications and discontinuities come as events (`on`) and through the
 * async iterator, which yields `{type:'publication', ...}` and `{type:'discontinuity', ...}` items.
 */
export class Subscription extends Emitter {
  #queue = [];
  #waiters = [];
  #ended = false;
  #iterated = false; // items are queued only for an iterator, so callback-only use keeps nothing

  constructor(client, channel) {
    super();
    this.client = client;
    this.channel = channel;
  }

  /** The last position delivered in this channel ({offset, epoch}), or null before the first. */
  get position() {
    return this.client.position(this.channel);
  }

  /** Stops this subscription (the channel is left when no other subscription of the client holds it). */
  unsubscribe() {
    this.client._release(this);
  }

  _push(item) {
    this.emit(item.type, item);
    if (this.#ended || !this.#iterated) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve({ value: item, done: false });
    else this.#queue.push(item);
  }

  _end(error) {
    if (this.#ended) return;
    this.#ended = true;
    if (error) this.emit('error', error);
    for (const waiter of this.#waiters.splice(0)) {
      if (error) waiter.reject(error); else waiter.resolve({ value: undefined, done: true });
    }
    this.error = error;
  }

  /** Yields what arrives from now on; leaving the loop (break, return, throw) unsubscribes. */
  [Symbol.asyncIterator]() {
    this.#iterated = true;
    return {
      next: () => {
        if (this.#queue.length) return Promise.resolve({ value: this.#queue.shift(), done: false });
        if (this.#ended) return this.error ? Promise.reject(this.error) : Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
      },
      return: () => {
        this.unsubscribe();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
