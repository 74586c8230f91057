import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in data proxy on loopback: answers `GET /health` with a status and body the test
 * controls, can be stopped and restarted on the same port (worker death and return).
 */
export class FakeWorker {
  healthStatus = 200;
  healthBody: Record<string, unknown> = { status: 'ok', sessions: 0, paused: false, version: 0 };
  /** Delay before answering /health, in ms (a stuck worker). */
  healthDelayMs = 0;
  healthChecks = 0;
  private server: Server | null = null;
  private portNumber = 0;

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.portNumber = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Starts again on the port it had. */
  async restart(): Promise<void> {
    await this.start(this.portNumber);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (req.url === '/health') {
      this.healthChecks++;
      const answer = (): void => {
        res.writeHead(this.healthStatus, { 'content-type': 'application/json' });
        res.end(JSON.stringify(this.healthBody));
      };
      if (this.healthDelayMs > 0) setTimeout(answer, this.healthDelayMs);
      else answer();
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"detail":"Not Found"}');
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5000, stepMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
