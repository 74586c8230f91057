import { SizedLruMap } from '@app/common/lite';

/**
 * The JSON text of an id array (the ids joined by commas, no brackets), as the chunks it was built
 * from: concatenated, the chunks are the text. A conversation's next prompt is the kept prompt's
 * ids plus the new ones, so its JSON is the kept chunks plus one new chunk: nothing of the 90 KB a
 * 15k-token prompt takes is copied until the engine request copies it, once, into its body.
 */
export interface IdsJson {
  readonly chunks: readonly Buffer[];
  /** The text's length in bytes (the chunks' lengths summed). */
  readonly byteLength: number;
}

/**
 * At this many chunks an append joins them into one first, so a request copies a bounded number
 * of chunks (one join every 64 turns of a conversation: what it copies stays proportional to what
 * is new, on average).
 */
const MAX_CHUNKS = 64;

/**
 * The JSON bytes of prompt id arrays whose builder already has them (a conversation's next prompt:
 * the bytes of the ids it shares with the previous one, kept, plus the new ids'), so the engine
 * request neither serializes a 15k-token prompt again each turn nor encodes 90 KB of text to UTF-8
 * (a string built turn by turn is a deep rope that costs more to encode than to copy). Keyed by
 * the array itself; an array nobody registered, or one whose length changed since, is serialized
 * as usual.
 */
const known = new WeakMap<readonly number[], { length: number; json: IdsJson }>();

/** Records `json` as the JSON of `ids`. */
export function notePromptIdsJson(ids: readonly number[], json: IdsJson): void {
  known.set(ids, { length: ids.length, json });
}

/** The JSON of `ids`, in one chunk. */
export function idsJson(ids: ArrayLike<number>): IdsJson {
  return oneChunk(Array.prototype.join.call(ids, ','));
}

/** `json` followed by `added`'s ids: one new chunk (the kept ones are shared, not copied). */
export function appendIdsJson(json: IdsJson, added: readonly number[]): IdsJson {
  if (added.length === 0) return json;
  const text = added.join(',');
  if (json.byteLength === 0) return oneChunk(text);
  const chunk = unpooled(`,${text}`);
  const chunks = json.chunks.length >= MAX_CHUNKS ? [joined(json), chunk] : [...json.chunks, chunk];
  return { chunks, byteLength: json.byteLength + chunk.length };
}

/** The JSON's text in one buffer (for tests and diagnostics; requests copy the chunks into their body). */
export function idsJsonText(json: IdsJson): string {
  return joined(json).toString('latin1');
}

function oneChunk(text: string): IdsJson {
  const chunk = unpooled(text);
  return { chunks: [chunk], byteLength: chunk.length };
}

function joined(json: IdsJson): Buffer {
  if (json.chunks.length === 1) return json.chunks[0];
  const out = Buffer.allocUnsafeSlow(json.byteLength);
  let at = 0;
  for (const chunk of json.chunks) at += chunk.copy(out, at);
  return out;
}

/**
 * A buffer of its own for `text` (ids and commas: one byte a character). Not a slice of Node's
 * shared 8 KB pool: a kept 1 KB chunk would hold a whole pool slab for as long as it is kept.
 */
function unpooled(text: string): Buffer {
  const out = Buffer.allocUnsafeSlow(text.length);
  out.write(text, 0, 'latin1');
  return out;
}

/**
 * A recorded `concat` turn's prompt, carried to the turn that continues it, whose prompt begins
 * with all of it: the ids as the turn built them (a JS array: the child copies it with one
 * `Array#concat`, where reading the recorded `Int32Array` view back is a loop, ≈ 40 µs at 15k ids)
 * and their JSON (the child's engine request writes them from it).
 */
export interface CarriedPrompt {
  readonly ids: readonly number[];
  readonly json: IdsJson;
}

/**
 * Carried prompts (carryPrompt), by interaction id, taken by the turn that continues one; bounded
 * (about 300 conversations of 15k tokens), least recently carried out first, so turns nobody
 * continues do not hold theirs for long. Keyed by the id, not the interaction: an entry of a
 * session that ended must not hold its interaction (with its messages and prompt buffer) until the
 * bound pushes it out.
 */
const carried = new SizedLruMap<string, CarriedPrompt>(
  64 * 1024 * 1024,
  (entry) => entry.json.byteLength + 8 * entry.ids.length,
);

/** Carries `ids` (a prompt with registered JSON, recorded with a copy of them) to the turn that continues interaction `interactionId`. */
export function carryPrompt(ids: readonly number[], interactionId: string): void {
  const entry = known.get(ids);
  if (entry === undefined || entry.length !== ids.length) return;
  carried.set(interactionId, { ids, json: entry.json });
}

/** The prompt carried for interaction `interactionId`, if it is `length` ids long; forgotten either way. */
export function takeCarriedPrompt(interactionId: string, length: number): CarriedPrompt | undefined {
  const entry = carried.delete(interactionId);
  return entry !== undefined && entry.ids.length === length ? entry : undefined;
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
    return Buffer.concat([head, ...entry.json.chunks, tail], head.length + entry.json.byteLength + tail.length);
  }
  return JSON.stringify(body);
}
