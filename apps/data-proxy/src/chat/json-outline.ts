/**
 * Where things are in the JSON of an agent request, without parsing it or decoding it: the
 * top-level `messages` array and where each of its elements ends, as byte offsets in its UTF-8
 * bytes. `ConversationBodies` uses this to parse only what a conversation's next request adds. The
 * scanner reads only JSON's structural characters, all ASCII (no byte of a multi-byte UTF-8
 * character is below 0x80), so it needs no decoding. It trusts the grammar only as far as it
 * needs: every outline it gives is of a body that `JSON.parse` accepted, or it is used only after
 * `JSON.parse` has accepted the body it was taken from.
 */

/** The byte values (ASCII characters) the scanner looks for. */
const CODE = {
  quote: 0x22,
  backslash: 0x5c,
  comma: 0x2c,
  colon: 0x3a,
  openBrace: 0x7b,
  closeBrace: 0x7d,
  openBracket: 0x5b,
  closeBracket: 0x5d,
} as const;

/** The top-level `messages` array of a request's body (offsets in its bytes). */
export interface MessagesOutline {
  /** Offset of the array's `[`. */
  open: number;
  /** For each element, the offset just after its value (before any white space and the `,` or `]`). */
  ends: number[];
}

/** `messages`, the key looked for, in bytes. */
const MESSAGES_KEY = Buffer.from('messages', 'latin1');

/**
 * The outline of `body` (a request body's bytes) when it is one JSON object whose `messages` key (spelled
 * without escapes, once) holds an array; null otherwise (no such key, a key spelled with escapes,
 * a duplicate `messages`, or a body that is not one object).
 */
export function outlineMessages(body: Uint8Array): MessagesOutline | null {
  let i = skipSpace(body, 0);
  if (body[i] !== CODE.openBrace) return null;
  i = skipSpace(body, i + 1);
  if (body[i] === CODE.closeBrace) return null;
  return outlineMembers(body, i, null);
}

/**
 * The outline of `body`, which begins as the body outlined by `earlier` up to the end of its last
 * message: the new messages are scanned from there, then the rest of the object (which must not
 * hold another `messages`). Null when the body does not continue that way.
 */
export function continueOutline(body: Uint8Array, earlier: MessagesOutline): MessagesOutline | null {
  if (earlier.ends.length === 0) return null;
  const ends = earlier.ends.slice();
  const delimiter = skipSpace(body, ends[ends.length - 1]);
  let close: number;
  if (body[delimiter] === CODE.closeBracket) close = delimiter;
  else if (body[delimiter] === CODE.comma) {
    close = scanElements(body, skipSpace(body, delimiter + 1), ends);
    if (close < 0) return null;
  } else return null;
  return afterValue(body, close + 1, { open: earlier.open, ends });
}

/** From the first key at `i`: every member of the object, noting the `messages` array. */
function outlineMembers(body: Uint8Array, i: number, found: MessagesOutline | null): MessagesOutline | null {
  for (;;) {
    if (body[i] !== CODE.quote) return null;
    const keyEnd = stringEnd(body, i);
    if (keyEnd < 0) return null;
    // A key written with escapes could still read "messages": no outline rather than a wrong one.
    for (let j = i + 1; j < keyEnd - 1; j++) if (body[j] === CODE.backslash) return null;
    const isMessages =
      keyEnd - 2 - i === MESSAGES_KEY.length && MESSAGES_KEY.every((byte, at) => body[i + 1 + at] === byte);
    i = skipSpace(body, keyEnd);
    if (body[i] !== CODE.colon) return null;
    i = skipSpace(body, i + 1);
    if (isMessages) {
      if (found !== null || body[i] !== CODE.openBracket) return null;
      const ends: number[] = [];
      const first = skipSpace(body, i + 1);
      const close = body[first] === CODE.closeBracket ? first : scanElements(body, first, ends);
      if (close < 0) return null;
      found = { open: i, ends };
      i = close + 1;
    } else {
      i = valueEnd(body, i);
      if (i < 0) return null;
    }
    i = skipSpace(body, i);
    const delimiter = body[i];
    if (delimiter === CODE.closeBrace) return skipSpace(body, i + 1) === body.length ? found : null;
    if (delimiter !== CODE.comma) return null;
    i = skipSpace(body, i + 1);
  }
}

/** After a member's value at `i`: the rest of the object, which must not name `messages` again. */
function afterValue(body: Uint8Array, i: number, found: MessagesOutline): MessagesOutline | null {
  i = skipSpace(body, i);
  const delimiter = body[i];
  if (delimiter === CODE.closeBrace) return skipSpace(body, i + 1) === body.length ? found : null;
  if (delimiter !== CODE.comma) return null;
  return outlineMembers(body, skipSpace(body, i + 1), found);
}

/**
 * Array elements from the one at `i`, where each one's value ends pushed to `ends`: the index of
 * the closing `]`, or -1.
 */
function scanElements(body: Uint8Array, i: number, ends: number[]): number {
  for (;;) {
    i = valueEnd(body, i);
    if (i < 0) return -1;
    ends.push(i);
    i = skipSpace(body, i);
    const delimiter = body[i];
    if (delimiter === CODE.closeBracket) return i;
    if (delimiter !== CODE.comma) return -1;
    i = skipSpace(body, i + 1);
  }
}

/** The offset just after the JSON value that starts at `i`, or -1. */
function valueEnd(body: Uint8Array, i: number): number {
  const first = body[i];
  if (first === CODE.quote) return stringEnd(body, i);
  if (first !== CODE.openBrace && first !== CODE.openBracket) {
    // A number, true, false or null: up to the next delimiter.
    let j = i;
    for (; j < body.length; j++) {
      const c = body[j];
      if (c === CODE.comma || c === CODE.closeBrace || c === CODE.closeBracket || isSpace(c)) break;
    }
    return j > i ? j : -1;
  }
  let depth = 0;
  for (let j = i; j < body.length; j++) {
    const c = body[j];
    if (c === CODE.quote) {
      const end = stringEnd(body, j);
      if (end < 0) return -1;
      j = end - 1;
    } else if (c === CODE.openBrace || c === CODE.openBracket) depth++;
    else if ((c === CODE.closeBrace || c === CODE.closeBracket) && --depth === 0) return j + 1;
  }
  return -1;
}

/** The offset just after the string whose opening quote is at `i`, or -1. */
function stringEnd(body: Uint8Array, i: number): number {
  let from = i + 1;
  for (;;) {
    const quote = body.indexOf(CODE.quote, from);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (body[quote - 1 - backslashes] === CODE.backslash) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(body: Uint8Array, i: number): number {
  while (i < body.length && isSpace(body[i])) i++;
  return i;
}
