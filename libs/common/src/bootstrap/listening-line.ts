/**
 * Every service logs one JSON `listening` line once its port is bound (it may have been asked for
 * `--port 0`). Whatever starts a service as a child process (the controller's launcher, the test
 * and bench helpers, the demo) learns the port from that line, with this one reader.
 */
export const LISTENING_MESSAGE = 'listening';

/** The port a log line announces, or null for any other line (plain text included). */
export function listeningPort(line: string): number | null {
  if (!line.startsWith('{') || !line.includes(`"msg":"${LISTENING_MESSAGE}"`)) return null;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; port?: unknown };
    return entry.msg === LISTENING_MESSAGE && typeof entry.port === 'number' ? entry.port : null;
  } catch {
    return null;
  }
}
