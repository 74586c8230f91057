import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionTracker {
  requestStarted(socket: Socket): void;
  requestEnded(socket: Socket): void;
  /** Destroys every open connection with no request in flight; later connections are refused. */
  closeUnused(): void;
}

/**
 * Knows which of a server's connections carry a request right now, so that shutdown can close
 * the others at once — keep-alive connections between requests and connections a client opened
 * but never used — while requests in flight finish.
 */
export function trackConnections(server: Server): ConnectionTracker {
  const sockets = new Set<Socket>();
  const inFlight = new WeakMap<Socket, number>();
  let closing = false;
  server.on('connection', (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    requestStarted(socket) {
      inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    },
    requestEnded(socket) {
      inFlight.set(socket, Math.max(0, (inFlight.get(socket) ?? 0) - 1));
    },
    closeUnused() {
      closing = true;
      for (const socket of sockets) if ((inFlight.get(socket) ?? 0) === 0) socket.destroy();
    },
  };
}
