// The SSE reading loop the bench clients share: `data:` events of an undici response body, the
// `[DONE]` sentinel, and whatever text a failed (non-SSE) answer carried.

/**
 * Reads `body` to its end, calling `onEvent` with each parsed `data:` event. Resolves with whether
 * `data: [DONE]` arrived and the first 200 characters left unparsed (an error body).
 */
export async function readSse(body, onEvent) {
  let buffer = '';
  let done = false;
  for await (const piece of body) {
    buffer += piece.toString('utf8');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!frame.startsWith('data: ')) continue;
      const data = frame.slice(6);
      if (data === '[DONE]') done = true;
      else onEvent(JSON.parse(data));
    }
  }
  return { done, rest: buffer.slice(0, 200) };
}
