import { request } from 'undici';

export interface SseStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed `data:` payloads so far (`[DONE]` kept as the string). */
  events: unknown[];
  /** Resolves when the server ends the stream. */
  done: Promise<unknown[]>;
  /** Drops the connection (a client that goes away). */
  abort(): void;
}

/** POSTs `body` and reads the answer as server-sent events, incrementally. */
export async function postSse(url: string, body: unknown, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  const events: unknown[] = [];
  const done = (async () => {
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += (chunk as Buffer).toString('utf8');
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          for (const line of block.split('\n')) {
            if (!line.startsWith('data: ')) continue;
            const data = line.slice(6);
            events.push(data === '[DONE]' ? data : JSON.parse(data));
          }
        }
      }
    } catch (err) {
      if (!controller.signal.aborted) throw err;
    }
    return events;
  })();
  return { status: res.statusCode, headers: res.headers, events, done, abort: () => controller.abort() };
}

/** The `data:` payloads of a whole event stream read as text (`[DONE]` kept as the string; a multi-line payload joined). */
export function parseSseText(text: string): unknown[] {
  const events: unknown[] = [];
  for (const block of text.split('\n\n')) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice(6))
      .join('\n');
    if (data.length === 0) continue;
    events.push(data === '[DONE]' ? data : JSON.parse(data));
  }
  return events;
}
