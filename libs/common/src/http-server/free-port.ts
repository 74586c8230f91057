import { createServer } from 'node:net';

/**
 * A loopback port nothing listens on now: for servers that cannot report the port they bound
 * (an engine started by command) and for tests that start a peer later.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
