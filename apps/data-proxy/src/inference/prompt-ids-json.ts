import { SizedLruMap } from '@app/common/lite';
import type { PromptIds } from './engine-backend.js';

/**
 * The JSON text of an id array (the ids joined by commas, no brackets): the first `runBytes` bytes
 * of an append-only run, then `more`. A conversation's next prompt is the kept prompt's ids plus
 * the new ones, so its JSON is the same run, grown in place by the new ids' text: nothing of the
 * 90 KB a 15k-token prompt takes is copied, and the engine request is written around it, in place
 * too (`engineRequestJson`).
 */
export interface IdsJson {
  readonly run: IdsRun;
  /** How many of the run's bytes begin this text (the run may have grown past them since). */
  readonly runBytes: number;
  /** The text after those bytes ('' or ids, comma first unless `runBytes` is 0): a prompt's few last ids. */
  readonly more: string;
}

/** The length of `json`'s text in bytes (ids and commas: one byte a character). */
export function idsJsonBytes(json: IdsJson): number {
  return json.runBytes + json.more.length;
}

/**
 * Room before a run's text for an engine request's head (`{"input_ids":[`), written there when the
 * request is written in place.
 */
const HEAD_ROOM = 64;

/**
 * Ids text that only grows at its end: the text of a chain of prompts (each turn's is the previous
 * one's plus its new ids), in one buffer. The bytes past `end` are free, except while a request
 * written in place holds them (`leasedBy`: its tail is there); the buffer doubles when it is full
 * (a copy per doubling: what a turn copies stays proportional to what is new, on average).
 */
export class IdsRun {
  /** `[HEAD_ROOM, HEAD_ROOM + end)`: the text. */
  private bytes: Buffer;
  private end = 0;
  /** The request written in place that holds the bytes around the text until it settles. */
  private leasedBy: Buffer | null = null;

  private constructor(capacity: number) {
    // A buffer of its own, not a slice of Node's shared 8 KB pool: a kept run would hold a whole
    // pool slab for as long as it is kept.
    this.bytes = Buffer.allocUnsafeSlow(HEAD_ROOM + capacity);
  }

  /** An empty run with room for `capacity` bytes of text. */
  static empty(capacity: number): IdsRun {
    return new IdsRun(capacity);
  }

  /** A run of its own that begins with `json`'s text, with room for `more` bytes after it. */
  static copyOf(json: IdsJson, more: number): IdsRun {
    const run = new IdsRun(idsJsonBytes(json) + more);
    json.run.bytes.copy(run.bytes, HEAD_ROOM, HEAD_ROOM, HEAD_ROOM + json.runBytes);
    run.end = json.runBytes;
    run.appendText(json.more);
    return run;
  }

  /** Whether `json` ends where this run does, so its text can grow in place. */
  endsWith(json: IdsJson): boolean {
    return json.more === '' && this.isFreeAt(json);
  }

  /** Appends `text` (ids and commas: one byte a character); its new end. */
  appendText(text: string): number {
    this.reserve(text.length);
    this.end += this.bytes.write(text, HEAD_ROOM + this.end, 'latin1');
    return this.end;
  }

  /** The run's first `runBytes` bytes of text (a view: for requests not written in place, tests, diagnostics). */
  text(runBytes: number): Buffer {
    return this.bytes.subarray(HEAD_ROOM, HEAD_ROOM + runBytes);
  }

  /**
   * The request `head` + the text + `tail`, written around the text in this run's own buffer (no
   * copy of the text), if `json` ends where the run does and no other request holds it; null
   * otherwise. The request holds the bytes past the text (its tail) until it calls `release`:
   * until then, the run grows nowhere but in a copy (`endsWith` says no) and no other request is
   * written around it. It must not release them before the request is sent: an append would
   * overwrite its tail. Once the engine has answered, it was sent; a request that failed is not
   * sent on.
   */
  writeAround(json: IdsJson, head: string, tail: string): Buffer | null {
    if (!this.isFreeAt(json)) return null;
    const headBytes = Buffer.byteLength(head);
    if (headBytes > HEAD_ROOM) return null;
    this.reserve(Buffer.byteLength(tail));
    const start = HEAD_ROOM - headBytes;
    this.bytes.write(head, start, 'utf8');
    const stop = HEAD_ROOM + this.end + this.bytes.write(tail, HEAD_ROOM + this.end, 'utf8');
    const body = this.bytes.subarray(start, stop);
    this.leasedBy = body;
    return body;
  }

  /** `body` (from `writeAround`) is done with the run's bytes; a stale or repeated release changes nothing. */
  release(body: Buffer): void {
    if (this.leasedBy === body) this.leasedBy = null;
  }

  /** `json`'s bytes in this run reach its end, and no request holds what follows them. */
  private isFreeAt(json: IdsJson): boolean {
    return json.run === this && json.runBytes === this.end && this.leasedBy === null;
  }

  private reserve(more: number): void {
    const needed = HEAD_ROOM + this.end + more;
    if (needed <= this.bytes.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(needed, 2 * this.bytes.length));
    this.bytes.copy(grown, HEAD_ROOM, HEAD_ROOM, HEAD_ROOM + this.end);
    this.bytes = grown;
  }
}

/** The JSON of `ids`: a run of its own. */
export function idsJson(ids: ArrayLike<number>): IdsJson {
  const text = Array.prototype.join.call(ids, ',');
  return ofRun(IdsRun.empty(text.length), text);
}

/**
 * `json` followed by `added`'s ids: the same run, grown in place, where `json` ends it (a
 * conversation's next turn); else a run of its own, beginning with a copy of `json`'s text (a
 * conversation that forks from an earlier turn, or whose request is still in flight).
 */
export function appendIdsJson(json: IdsJson, added: PromptIds): IdsJson {
  if (added.length === 0) return json;
  const text = `${idsJsonBytes(json) === 0 ? '' : ','}${added.join(',')}`;
  return ofRun(json.run.endsWith(json) ? json.run : IdsRun.copyOf(json, text.length), text);
}

/** `json` followed by `added`'s ids, kept apart from its run (a prompt's few last ids, which its continuations do not share). */
export function withIdsAfter(json: IdsJson, added: PromptIds): IdsJson {
  if (added.length === 0) return json;
  const more = `${json.more}${idsJsonBytes(json) === 0 ? '' : ','}${added.join(',')}`;
  return { run: json.run, runBytes: json.runBytes, more };
}

/** The JSON's text (for tests and diagnostics; requests are written around the run's bytes). */
export function idsJsonText(json: IdsJson): string {
  return json.run.text(json.runBytes).toString('latin1') + json.more;
}

function ofRun(run: IdsRun, text: string): IdsJson {
  const end = run.appendText(text);
  return { run, runBytes: end, more: '' };
}

/**
 * The JSON bytes of prompt id arrays whose builder already has them (a conversation's next prompt:
 * the bytes of the ids it shares with the previous one, kept, plus the new ids'), so the engine
 * request neither serializes a 15k-token prompt again each turn nor encodes 90 KB of text to UTF-8
 * (a string built turn by turn is a deep rope that costs more to encode than to copy). Keyed by
 * the array itself; an array nobody registered, or one whose length changed since, is serialized
 * as usual.
 */
const known = new WeakMap<PromptIds, CarriedPrompt>();

/** Records `json` as the JSON of `ids`. */
export function notePromptIdsJson(ids: PromptIds, json: IdsJson): void {
  known.set(ids, { length: ids.length, json });
}

/**
 * A prompt's registered JSON and the length it was registered at; also what a recorded `concat`
 * turn carries to the turn that continues it, whose prompt begins with all of it (the child's
 * engine request writes them from it). The ids themselves the child copies from the recorded turn
 * (`Int32Array#set`, a memcpy).
 */
export interface CarriedPrompt {
  readonly length: number;
  readonly json: IdsJson;
}

/**
 * Carried prompts (carryPrompt), by interaction id, taken by the turn that continues one; bounded
 * (about 300 conversations of 15k tokens), least recently carried out first, so turns nobody
 * continues do not hold theirs for long. Keyed by the id, not the interaction: an entry of a
 * session that ended must not hold its interaction (with its messages and prompt buffer) until the
 * bound pushes it out.
 */
const carried = new SizedLruMap<string, CarriedPrompt>(64 * 1024 * 1024, (entry) => idsJsonBytes(entry.json));

/** Carries the JSON of `ids` (a prompt with registered JSON, recorded with a copy of them) to the turn that continues interaction `interactionId`. */
export function carryPrompt(ids: PromptIds, interactionId: string): void {
  const entry = known.get(ids);
  if (entry === undefined || entry.length !== ids.length) return;
  carried.set(interactionId, entry);
}

/** The prompt carried for interaction `interactionId`, if it is `length` ids long; forgotten either way. */
export function takeCarriedPrompt(interactionId: string, length: number): CarriedPrompt | undefined {
  const entry = carried.delete(interactionId);
  return entry !== undefined && entry.length === length ? entry : undefined;
}

/** An engine request's JSON, and what to call once the request has settled. */
export interface EngineRequestJson {
  readonly json: string | Buffer;
  /** The request is done with `json` (it holds bytes of a run until then: `IdsRun.writeAround`). */
  release(): void;
}

const NOTHING_HELD = (): void => {};

/** An engine request's fields but its prompt, and the field the prompt goes in (a backend's `EngineRequestParts`). */
export interface EngineRequestFields {
  readonly promptField: string;
  readonly rest: object;
}

/**
 * The engine request's JSON: `parts.rest` with the prompt's ids in `parts.promptField`, first in
 * the object (engines read JSON objects by name). Ids with registered bytes are written from them:
 * around the run's own bytes where the prompt ends its run (a conversation's latest turn), else
 * copied with them into a buffer of its own. Other ids are serialised here, a typed prompt as the
 * list it is on the wire (`JSON.stringify` writes an `Int32Array` as an object of indexes).
 */
export function engineRequestJson(parts: EngineRequestFields, promptIds: PromptIds): EngineRequestJson {
  const entry = known.get(promptIds);
  if (entry === undefined || entry.length !== promptIds.length) {
    // A plain array (a new chat's prompt) in one `JSON.stringify`, the fastest way for a short one.
    if (!(promptIds instanceof Int32Array))
      return { json: JSON.stringify({ [parts.promptField]: promptIds, ...parts.rest }), release: NOTHING_HELD };
    const json = `{${JSON.stringify(parts.promptField)}:[${promptIds.join(',')}]${afterPrompt(parts.rest)}`;
    return { json, release: NOTHING_HELD };
  }
  const head = `{${JSON.stringify(parts.promptField)}:[`;
  const tail = `${entry.json.more}]${afterPrompt(parts.rest)}`;
  const run = entry.json.run;
  const inPlace = run.writeAround(entry.json, head, tail);
  if (inPlace !== null) return { json: inPlace, release: () => run.release(inPlace) };
  const json = Buffer.concat([Buffer.from(head), run.text(entry.json.runBytes), Buffer.from(tail)]);
  return { json, release: NOTHING_HELD };
}

/** The JSON after a request's prompt list: its other fields (a comma first) and the closing brace. */
function afterPrompt(rest: object): string {
  const json = JSON.stringify(rest);
  return json.length > 2 ? `,${json.slice(1)}` : '}';
}
