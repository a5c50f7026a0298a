// The allowed differences between the two servers' transcripts (docs/conformance.md, "Allowed
// differences"), taken out before they are compared. Everything not named here must be identical.

/**
 * A recovery offset the server appends as an event's last argument: Node's are yeast ids
 * ("PJx4lTq" or "PJx4lTq.1"), Switchboard's "<epoch>-<seq>". Scenario payloads never end in a string
 * of either shape, so only offsets match.
 */
const OFFSET = /^(?:[0-9A-Za-z_-]{5,9}(?:\.[0-9A-Za-z_-]+)?|[0-9A-Za-z_-]+-\d+)$/;

/** Replaces, recursively: socket ids by their client's label, binary by its hex, functions and undefined by markers. */
function value(v, ids) {
  if (v === undefined) return '<undefined>';
  if (typeof v === 'function') return '<ack callback>';
  if (typeof v === 'string') return ids.has(v) ? `<id ${ids.get(v)}>` : v;
  if (v === null || typeof v !== 'object') return v;
  if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) {
    return { $binary: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  }
  if (v instanceof ArrayBuffer) return { $binary: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map((item) => value(item, ids));
  if (Array.isArray(v.$unordered)) {
    return v.$unordered.map((item) => value(item, ids))
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
  }
  const out = {};
  for (const [key, item] of Object.entries(v)) out[key] = value(item, ids);
  return out;
}

/**
 * The transcript with the allowed differences taken out. With `offsets`, an event's trailing recovery
 * offset becomes "<offset>" (its presence is compared, not its spelling). `ignoreEvents` drops events
 * a scenario does not look at; `connectFirst` puts each step's 'connect' before the client's other entries.
 */
export function normalize(transcript, { ids, offsets = false, ignoreEvents = [], connectFirst = false }) {
  return transcript.map((step) => {
    const out = {};
    for (const [key, entries] of Object.entries(step)) {
      if (key === 'step') {
        out.step = entries;
        continue;
      }
      const kept = entries
        .filter((e) => !(e[0] === 'event' && ignoreEvents.includes(e[1])))
        .map((e) => {
          if (offsets && e[0] === 'event' && e.length > 2 && typeof e.at(-1) === 'string' && OFFSET.test(e.at(-1))) {
            return [...value(e.slice(0, -1), ids), '<offset>'];
          }
          return value(e, ids);
        });
      if (connectFirst) {
        // Where and when 'connect' fires among the replayed events is compared by its own scenario.
        kept.sort((a, b) => (b[0] === 'connect') - (a[0] === 'connect'));
      }
      if (kept.length > 0) out[key] = kept;
    }
    return out;
  });
}

/** Marks a list whose order is the server's own (a hash set's): it is compared sorted, after ids are replaced. */
export const unordered = (list) => ({ $unordered: list });
