/**
 * The JSON text of prompt id arrays whose builder already has it (a conversation's next prompt:
 * the text of the ids it shares with the previous one, kept, plus the new ids'), so the engine
 * request does not serialize a 15k-token prompt again each turn. Keyed by the array itself; an
 * array nobody registered, or one whose length changed since, is serialized as usual.
 */
const known = new WeakMap<readonly number[], { length: number; text: string }>();

/** Records `text`, the ids of `ids` joined by commas (no brackets), as that array's JSON. */
export function notePromptIdsJson(ids: readonly number[], text: string): void {
  known.set(ids, { length: ids.length, text });
}

/**
 * Recorded interactions' prompt JSON (carryPromptIdsJson), taken by the turn that continues one;
 * bounded, least recently carried out first, so turns nobody continues do not hold it for long.
 */
const carried = new Map<object, { length: number; text: string }>();
let carriedChars = 0;
const MAX_CARRIED_CHARS = 32 * 1024 * 1024;

/** Makes the JSON registered for `ids` that of `owner` (a recorded interaction holding a copy of them) too. */
export function carryPromptIdsJson(ids: readonly number[], owner: object): void {
  const entry = known.get(ids);
  if (entry === undefined || entry.length !== ids.length) return;
  takePromptIdsJsonOf(owner, -1);
  carried.set(owner, entry);
  carriedChars += entry.text.length;
  for (const [key, old] of carried) {
    if (carriedChars <= MAX_CARRIED_CHARS) break;
    carried.delete(key);
    carriedChars -= old.text.length;
  }
}

/** The JSON text (joined by commas) carried for `owner`, if it is that of `length` ids; forgotten either way. */
export function takePromptIdsJsonOf(owner: object, length: number): string | undefined {
  const entry = carried.get(owner);
  if (entry === undefined) return undefined;
  carried.delete(owner);
  carriedChars -= entry.text.length;
  return entry.length === length ? entry.text : undefined;
}

/**
 * `JSON.stringify(body)`, with the top-level field that holds `promptIds` written from the
 * registered text when there is one (that field first; engines read JSON objects by name).
 */
export function engineRequestJson(body: object, promptIds: readonly number[]): string {
  const entry = known.get(promptIds);
  if (entry === undefined || entry.length !== promptIds.length) return JSON.stringify(body);
  const text = entry.text;
  for (const [key, value] of Object.entries(body)) {
    if (value !== promptIds) continue;
    // `undefined` drops the field from the rest.
    const rest = JSON.stringify({ ...body, [key]: undefined });
    return `{${JSON.stringify(key)}:[${text}]${rest.length > 2 ? ',' : ''}${rest.slice(1)}`;
  }
  return JSON.stringify(body);
}
