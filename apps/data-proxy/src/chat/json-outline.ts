/**
 * Where things are in the JSON text of an agent request, without parsing it: the top-level
 * `messages` array and where each of its elements ends. `ConversationBodies` uses this to parse
 * only what a conversation's next request adds. The scanner trusts the text's grammar only as far
 * as it needs: every outline it gives is of a text that `JSON.parse` accepted, or it is used only
 * after `JSON.parse` has accepted the text it was taken from.
 */

/** The character codes the scanner looks for. */
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

/** The top-level `messages` array of a request's text. */
export interface MessagesOutline {
  /** Index of the array's `[`. */
  open: number;
  /** For each element, the index just after its value (before any white space and the `,` or `]`). */
  ends: number[];
}

/**
 * The outline of `text` when it is one JSON object whose `messages` key (spelled without escapes,
 * once) holds an array; null otherwise (no such key, a key spelled with escapes, a duplicate
 * `messages`, or a text that is not one object).
 */
export function outlineMessages(text: string): MessagesOutline | null {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== CODE.openBrace) return null;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === CODE.closeBrace) return null;
  return outlineMembers(text, i, null);
}

/**
 * The outline of `text`, which begins as the text outlined by `earlier` up to the end of its last
 * message: the new messages are scanned from there, then the rest of the object (which must not
 * hold another `messages`). Null when the text does not continue that way.
 */
export function continueOutline(text: string, earlier: MessagesOutline): MessagesOutline | null {
  if (earlier.ends.length === 0) return null;
  const ends = earlier.ends.slice();
  const delimiter = skipSpace(text, ends[ends.length - 1]);
  let close: number;
  if (text.charCodeAt(delimiter) === CODE.closeBracket) close = delimiter;
  else if (text.charCodeAt(delimiter) === CODE.comma) {
    close = scanElements(text, skipSpace(text, delimiter + 1), ends);
    if (close < 0) return null;
  } else return null;
  return afterValue(text, close + 1, { open: earlier.open, ends });
}

/** From the first key at `i`: every member of the object, noting the `messages` array. */
function outlineMembers(text: string, i: number, found: MessagesOutline | null): MessagesOutline | null {
  for (;;) {
    if (text.charCodeAt(i) !== CODE.quote) return null;
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return null;
    const key = text.slice(i + 1, keyEnd - 1);
    // A key written with escapes could still read "messages": no outline rather than a wrong one.
    if (key.includes('\\')) return null;
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== CODE.colon) return null;
    i = skipSpace(text, i + 1);
    if (key === 'messages') {
      if (found !== null || text.charCodeAt(i) !== CODE.openBracket) return null;
      const ends: number[] = [];
      const first = skipSpace(text, i + 1);
      const close = text.charCodeAt(first) === CODE.closeBracket ? first : scanElements(text, first, ends);
      if (close < 0) return null;
      found = { open: i, ends };
      i = close + 1;
    } else {
      i = valueEnd(text, i);
      if (i < 0) return null;
    }
    i = skipSpace(text, i);
    const delimiter = text.charCodeAt(i);
    if (delimiter === CODE.closeBrace) return skipSpace(text, i + 1) === text.length ? found : null;
    if (delimiter !== CODE.comma) return null;
    i = skipSpace(text, i + 1);
  }
}

/** After a member's value at `i`: the rest of the object, which must not name `messages` again. */
function afterValue(text: string, i: number, found: MessagesOutline): MessagesOutline | null {
  i = skipSpace(text, i);
  const delimiter = text.charCodeAt(i);
  if (delimiter === CODE.closeBrace) return skipSpace(text, i + 1) === text.length ? found : null;
  if (delimiter !== CODE.comma) return null;
  return outlineMembers(text, skipSpace(text, i + 1), found);
}

/**
 * Array elements from the one at `i`, where each one's value ends pushed to `ends`: the index of
 * the closing `]`, or -1.
 */
function scanElements(text: string, i: number, ends: number[]): number {
  for (;;) {
    i = valueEnd(text, i);
    if (i < 0) return -1;
    ends.push(i);
    i = skipSpace(text, i);
    const delimiter = text.charCodeAt(i);
    if (delimiter === CODE.closeBracket) return i;
    if (delimiter !== CODE.comma) return -1;
    i = skipSpace(text, i + 1);
  }
}

/** The index just after the JSON value that starts at `i`, or -1. */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === CODE.quote) return stringEnd(text, i);
  if (first !== CODE.openBrace && first !== CODE.openBracket) {
    // A number, true, false or null: up to the next delimiter.
    let j = i;
    for (; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === CODE.comma || c === CODE.closeBrace || c === CODE.closeBracket || isSpace(c)) break;
    }
    return j > i ? j : -1;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === CODE.quote) {
      const end = stringEnd(text, j);
      if (end < 0) return -1;
      j = end - 1;
    } else if (c === CODE.openBrace || c === CODE.openBracket) depth++;
    else if ((c === CODE.closeBrace || c === CODE.closeBracket) && --depth === 0) return j + 1;
  }
  return -1;
}

/** The index just after the string whose opening quote is at `i`, or -1. */
function stringEnd(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === CODE.backslash) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}
