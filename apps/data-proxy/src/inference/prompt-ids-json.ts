/**
 * The JSON text of prompt id arrays whose builder already has it (a conversation's next prompt:
 * the text of the ids it shares with the previous one, kept, plus the new ids'), so the engine
 * request does not serialize a 15k-token prompt again each turn. Keyed by the array itself, or
 * by the recorded interaction that holds a copy of it; an array nobody registered, or one whose
 * length changed since, is serialized as usual.
 */
const known = new WeakMap<object, { length: number; text: string }>();

/** Records `text`, the ids of `ids` joined by commas (no brackets), as that array's JSON. */
export function notePromptIdsJson(ids: readonly number[], text: string): void {
  known.set(ids, { length: ids.length, text });
}

/** Makes the JSON registered for `ids` also that of `owner` (a recorded interaction holding a copy of them). */
export function carryPromptIdsJson(ids: readonly number[], owner: object): void {
  const entry = known.get(ids);
  if (entry !== undefined && entry.length === ids.length) known.set(owner, entry);
}

/** The JSON text (joined by commas) registered for `owner`, if it is that of `length` ids. */
export function promptIdsJsonOf(owner: object, length: number): string | undefined {
  const entry = known.get(owner);
  return entry !== undefined && entry.length === length ? entry.text : undefined;
}

/**
 * `JSON.stringify(body)`, with the top-level field that holds `promptIds` written from the
 * registered text when there is one (that field first; engines read JSON objects by name).
 */
export function engineRequestJson(body: object, promptIds: readonly number[]): string {
  const text = promptIdsJsonOf(promptIds, promptIds.length);
  if (text === undefined) return JSON.stringify(body);
  for (const [key, value] of Object.entries(body)) {
    if (value !== promptIds) continue;
    // `undefined` drops the field from the rest.
    const rest = JSON.stringify({ ...body, [key]: undefined });
    return `{${JSON.stringify(key)}:[${text}]${rest.length > 2 ? ',' : ''}${rest.slice(1)}`;
  }
  return JSON.stringify(body);
}
