import { SizedLruMap } from '@app/common/lite';

/**
 * The JSON bytes of prompt id arrays whose builder already has them (a conversation's next prompt:
 * the bytes of the ids it shares with the previous one, kept, plus the new ids'), so the engine
 * request neither serializes a 15k-token prompt again each turn nor encodes 90 KB of text to UTF-8
 * (a string built turn by turn is a deep rope that costs more to encode than to copy). Keyed by
 * the array itself; an array nobody registered, or one whose length changed since, is serialized
 * as usual.
 */
const known = new WeakMap<readonly number[], { length: number; bytes: Buffer }>();

/** Records `bytes`, the ids of `ids` joined by commas (no brackets), as that array's JSON. */
export function notePromptIdsJson(ids: readonly number[], bytes: Buffer): void {
  known.set(ids, { length: ids.length, bytes });
}

/** The JSON bytes of `ids` (joined by commas, no brackets). */
export function idsJsonBytes(ids: ArrayLike<number>): Buffer {
  return Buffer.from(Array.prototype.join.call(ids, ','), 'latin1');
}

/** `bytes` (ids joined by commas) followed by `added`'s ids: one copy of `bytes`. */
export function appendIdsJson(bytes: Buffer, added: readonly number[]): Buffer {
  if (added.length === 0) return bytes;
  const text = added.join(',');
  if (bytes.length === 0) return Buffer.from(text, 'latin1');
  const out = Buffer.allocUnsafe(bytes.length + 1 + text.length);
  bytes.copy(out, 0);
  out[bytes.length] = 0x2c;
  out.write(text, bytes.length + 1, 'latin1');
  return out;
}

/**
 * Recorded interactions' prompt JSON (carryPromptIdsJson), taken by the turn that continues one;
 * bounded, least recently carried out first, so turns nobody continues do not hold it for long.
 */
const carried = new SizedLruMap<object, { length: number; bytes: Buffer }>(
  32 * 1024 * 1024,
  (entry) => entry.bytes.length,
);

/** Makes the JSON registered for `ids` that of `owner` (a recorded interaction holding a copy of them) too. */
export function carryPromptIdsJson(ids: readonly number[], owner: object): void {
  const entry = known.get(ids);
  if (entry === undefined || entry.length !== ids.length) return;
  carried.set(owner, entry);
}

/** The JSON bytes (ids joined by commas) carried for `owner`, if they are those of `length` ids; forgotten either way. */
export function takePromptIdsJsonOf(owner: object, length: number): Buffer | undefined {
  const entry = carried.delete(owner);
  return entry !== undefined && entry.length === length ? entry.bytes : undefined;
}

/**
 * `JSON.stringify(body)`, or, when `promptIds` has registered bytes, the same JSON as bytes with
 * the top-level field that holds `promptIds` written from them (that field first; engines read
 * JSON objects by name).
 */
export function engineRequestJson(body: object, promptIds: readonly number[]): string | Buffer {
  const entry = known.get(promptIds);
  if (entry === undefined || entry.length !== promptIds.length) return JSON.stringify(body);
  for (const [key, value] of Object.entries(body)) {
    if (value !== promptIds) continue;
    // `undefined` drops the field from the rest.
    const rest = JSON.stringify({ ...body, [key]: undefined });
    const head = Buffer.from(`{${JSON.stringify(key)}:[`);
    const tail = Buffer.from(`]${rest.length > 2 ? ',' : ''}${rest.slice(1)}`);
    return Buffer.concat([head, entry.bytes, tail], head.length + entry.bytes.length + tail.length);
  }
  return JSON.stringify(body);
}
