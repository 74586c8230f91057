import type { Readable } from 'node:stream';

/**
 * Reads a `text/event-stream` body and yields each event's `data` payload (multi-line data
 * joined with `\n`). Comments and other fields are skipped. Handles events split across chunks.
 */
export async function* readSseData(body: Readable): AsyncGenerator<string> {
  let buffer = '';
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      let line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (data.length > 0) yield data.join('\n');
        data = [];
      } else if (line.startsWith('data:')) {
        data.push(line.slice(line[5] === ' ' ? 6 : 5));
      }
    }
  }
  if (data.length > 0) yield data.join('\n');
}
