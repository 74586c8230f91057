/**
 * A short key of a message that equal messages share: what {@link deepEqual} (interaction.ts)
 * calls equal gets the same key (objects by their sorted keys, a key whose value is `undefined`
 * counting as a key). Unequal messages can share a key too: it narrows the candidates and the
 * caller compares the messages themselves.
 *
 * It reads the message's shape and each string's length and ends, never a whole text, so keying
 * one message costs the same at turn 128 as at turn 1.
 */
export function messageKey(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length <= 24 ? JSON.stringify(value) : `${value.length}${JSON.stringify(ends(value))}`;
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value))
        return `[${value.length}${value.length > 0 ? shallowKey(value[value.length - 1]) : ''}]`;
      const keys = Object.keys(value).sort();
      let key = '{';
      for (const k of keys) key += `${JSON.stringify(k)}:${shallowKey((value as Record<string, unknown>)[k])},`;
      return `${key}}`;
    }
    case 'bigint':
    case 'function':
    case 'symbol':
      // Not JSON: one key per kind, told apart by the comparison.
      return typeof value;
  }
}

/** A nested value's key: its kind and size only, except strings (length and ends). */
function shallowKey(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    return Array.isArray(value) ? `[${value.length}]` : `{${Object.keys(value).length}}`;
  }
  return messageKey(value);
}

const ends = (text: string): string => `${text.slice(0, 12)}…${text.slice(-12)}`;
