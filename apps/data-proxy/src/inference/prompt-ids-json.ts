/**
 * The JSON text of prompt id arrays whose builder already has it (a conversation's next prompt:
 * the text of the ids it shares with the previous one, kept, plus the new ids'), so the engine
 * request does not serialize a 15k-token prompt again each turn. Keyed by the array itself: an
 * array nobody registered, or one whose length changed since, is serialized as usual.
 */
const known = new WeakMap<readonly number[], { length: number; text: string }>();

/** Records `text`, the ids of `ids` joined by commas (no brackets), as that array's JSON. */
export function notePromptIdsJson(ids: readonly number[], text: string): void {
  known.set(ids, { length: ids.length, text });
}

/**
 * `JSON.stringify(body)`, with the top-level field that holds `promptIds` written from the
 * registered text when there is one (that field first; engines read JSON objects by name).
 */
export function engineRequestJson(body: object, promptIds: readonly number[]): string {
  const entry = known.get(promptIds);
  if (entry === undefined || entry.length !== promptIds.length) return JSON.stringify(body);
  for (const [key, value] of Object.entries(body)) {
    if (value !== promptIds) continue;
    // `undefined` drops the field from the rest.
    const rest = JSON.stringify({ ...body, [key]: undefined });
    return `{${JSON.stringify(key)}:[${entry.text}]${rest.length > 2 ? ',' : ''}${rest.slice(1)}`;
  }
  return JSON.stringify(body);
}
