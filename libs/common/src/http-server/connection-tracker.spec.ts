import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { request } from 'undici';
import { trackConnections } from './connection-tracker.js';

describe(trackConnections.name, () => {
  it('closes a connection that never sent a request and lets a request in flight finish', async () => {
    let releaseSlow: () => void = () => undefined;
    let slowArrived: () => void = () => undefined;
    const slowInFlight = new Promise<void>((resolve) => (slowArrived = resolve));
    const server = createServer((req, res) => {
      tracker.requestStarted(req.socket);
      res.on('finish', () => tracker.requestEnded(req.socket));
      res.setHeader('connection', 'close');
      if (req.url === '/slow') {
        releaseSlow = () => res.end('slow done');
        slowArrived();
      } else res.end('ok');
    });
    const tracker = trackConnections(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const silent: Socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => silent.once('connect', resolve));
    const silentClosed = new Promise((resolve) => silent.once('close', resolve));
    const slow = request(`http://127.0.0.1:${port}/slow`).then((res) => res.body.text());
    // Only once the server holds the request is it "in flight" (a fixed sleep raced a loaded machine).
    await slowInFlight;

    tracker.closeUnused();
    const closed = new Promise((resolve) => server.close(resolve));
    await silentClosed;
    releaseSlow();
    expect(await slow).toBe('slow done');
    await closed;
  });
});
