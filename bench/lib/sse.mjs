// The bench clients' SSE reading: the services' own parser (readSseData, libs/common), the
// `[DONE]` sentinel, and the text of an answer that is not a stream (an error).
import { readSseData } from '../../dist/libs/common/src/http-client/sse-reader.js';

/**
 * Reads an undici response to its end, calling `onEvent` with each parsed `data:` event. Resolves
 * with whether `data: [DONE]` arrived and, for a non-200 answer, the first 200 characters of it.
 */
export async function readSse(res, onEvent) {
  if (res.statusCode !== 200) return { done: false, rest: (await res.body.text()).slice(0, 200) };
  let done = false;
  for await (const data of readSseData(res.body)) {
    if (data === '[DONE]') done = true;
    else onEvent(JSON.parse(data));
  }
  return { done, rest: '' };
}
