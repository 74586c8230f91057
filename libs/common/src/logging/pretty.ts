/**
 * Log lines for people: on a terminal every service (and the controller's echo of the services it
 * launched) prints one short, coloured line per event instead of a JSON object. JSON stays the
 * default when the output is not a terminal, and with `--log-format json`: machines read it.
 */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** `auto` is pretty on a terminal, JSON otherwise. */
export function resolveLogFormat(format: LogFormat, isTerminal: boolean): 'json' | 'pretty' {
  return format === 'auto' ? (isTerminal ? 'pretty' : 'json') : format;
}

const LEVEL_COLOURS: Record<string, string> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[35m',
};
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
/** Fields every line has, shown in the line's own columns (or not at all). */
const FRAME_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'app', 'msg', 'context']);

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) || value.length === 0 ? JSON.stringify(value) : value;
  if (value instanceof Object && 'message' in value && typeof value.message === 'string')
    return JSON.stringify(value.message);
  return JSON.stringify(value);
}

/**
 * One JSON log line as `12:03:04 INFO  gateway  [Context] message key=value …` (`source` names the
 * process instead of the line's `app`); a line that is not a JSON object is returned as it is.
 */
export function formatLogLine(line: string, colour: boolean, source?: string): string {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof entry.level === 'string' ? entry.level : 'info';
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const app = source ?? (typeof entry.app === 'string' ? entry.app : '');
  const context = typeof entry.context === 'string' ? `[${entry.context}] ` : '';
  const fields = Object.entries(entry)
    .filter(([key, value]) => !FRAME_FIELDS.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${fieldText(value)}`)
    .join(' ');
  const levelText = level.toUpperCase().padEnd(5);
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  if (!colour) return `${time} ${levelText} ${app.padEnd(10)} ${context}${msg}${fields ? ` ${fields}` : ''}`;
  const tint = LEVEL_COLOURS[level] ?? '';
  return `${DIM}${time}${RESET} ${tint}${levelText}${RESET} ${app.padEnd(10)} ${DIM}${context}${RESET}${msg}${fields ? ` ${DIM}${fields}${RESET}` : ''}`;
}

/** A pino destination that writes `formatLogLine` lines to `out`. */
export function prettyDestination(out: NodeJS.WritableStream, colour: boolean): { write(line: string): void } {
  return {
    write(line: string): void {
      out.write(`${formatLogLine(line.trimEnd(), colour)}\n`);
    },
  };
}
