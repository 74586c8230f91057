import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: any;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void;

/**
 * A scriptable HTTP server on loopback standing in for a peer (a fake data proxy, a callback
 * target, an OpenAI-compatible provider). Records every request; `handler` answers.
 */
export class Listener {
  readonly requests: RecordedRequest[] = [];
  handler: Handler;
  private server: Server | null = null;
  port = 0;
  /** Requests whose client went away before the answer ended. */
  disconnects = 0;

  constructor(handler: Handler = (_req, res) => res.end('{"status":"ok"}')) {
    this.handler = handler;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        let json: unknown;
        try {
          json = body ? JSON.parse(body) : undefined;
        } catch {
          json = undefined;
        }
        const recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json };
        this.requests.push(recorded);
        res.once('close', () => {
          if (!res.writableFinished) this.disconnects++;
        });
        this.handler(recorded, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  paths(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
