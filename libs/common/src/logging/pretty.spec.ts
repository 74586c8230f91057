import { describe, expect, it } from '@jest/globals';
import { formatLogLine, resolveLogFormat } from './pretty.js';

describe('readable log lines', () => {
  const line = JSON.stringify({
    level: 'info',
    time: '2026-12-01T20:03:04.123Z',
    app: 'gateway',
    pid: 7,
    context: 'Bootstrap',
    msg: 'listening',
    port: 8080,
    url: 'http://127.0.0.1:8080',
  });

  it('one line: time, level, app (or the process name), context, message, fields', () => {
    expect(formatLogLine(line, false)).toBe(
      '20:03:04 INFO  gateway    [Bootstrap] listening port=8080 url=http://127.0.0.1:8080',
    );
    expect(formatLogLine(line, false, 'gateway-0')).toContain(' gateway-0  [Bootstrap] listening');
    expect(formatLogLine(line, true)).toContain('\x1b[32mINFO ');
  });

  it('quotes text with spaces, keeps errors short, leaves non-JSON lines alone', () => {
    const warn = JSON.stringify({
      level: 'warn',
      time: 'x'.repeat(19),
      msg: 'stream failed',
      err: { message: 'boom here' },
    });
    expect(formatLogLine(warn, false)).toContain('stream failed err="boom here"');
    expect(formatLogLine('plain text', false)).toBe('plain text');
    expect(formatLogLine('{not json', false)).toBe('{not json');
  });

  it('auto is pretty on a terminal only', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
});
