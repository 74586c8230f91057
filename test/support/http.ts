import { request } from 'undici';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** One real HTTP call; `body` objects are sent as JSON, strings and Buffers as given. */
export async function call(
  method: string,
  url: string,
  options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined && options.token !== null) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined;
  if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) {
    body = options.body;
    if (!('content-type' in headers)) headers['content-type'] = 'application/json';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  let res;
  try {
    res = await request(url, { method: method as 'GET', headers, body });
  } catch (err) {
    // A pooled connection to a process that was restarted on the same port: try once more.
    if ((err as { code?: string }).code !== 'ECONNRESET') throw err;
    res = await request(url, { method: method as 'GET', headers, body });
  }
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}
