import { json, Listener } from './listener.js';

/**
 * A stand-in data proxy on loopback: answers `GET /health` with a status and body the test
 * controls (404 to anything else), can be stopped and restarted on the same port (worker death and
 * return).
 */
export class FakeWorker extends Listener {
  healthStatus = 200;
  healthBody: Record<string, unknown> = { status: 'ok', sessions: 0, paused: false, version: 0 };
  /** Delay before answering /health, in ms (a stuck worker). */
  healthDelayMs = 0;
  healthChecks = 0;

  constructor() {
    super((req, res) => {
      if (req.path !== '/health') return json(res, 404, { detail: 'Not Found' });
      this.healthChecks++;
      const answer = (): void => json(res, this.healthStatus, this.healthBody);
      if (this.healthDelayMs > 0) setTimeout(answer, this.healthDelayMs);
      else answer();
    });
  }

  /** Starts again on the port it had. */
  async restart(): Promise<void> {
    await this.start(this.port);
  }
}
