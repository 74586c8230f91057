import { resolveLogFormat, type LogFormat } from '../logging/pretty.js';

/**
 * How this process writes logs for `--log-format`: pretty on a terminal under `auto`, coloured on
 * a terminal unless `NO_COLOR` is set (https://no-color.org).
 */
export function processLogStyle(format: string): { format: 'json' | 'pretty'; colour: boolean } {
  const terminal = process.stdout.isTTY === true;
  // The option parser has already refused anything but LOG_FORMATS.
  return {
    format: resolveLogFormat(format as LogFormat, terminal),
    colour: terminal && process.env.NO_COLOR === undefined,
  };
}
