/**
 * Where the CLI writes: lines and JSON on stdout, a progress bar on stderr that redraws itself on
 * a terminal (and is silent otherwise, so piped output stays clean).
 */
export interface Output {
  line(text: string): void;
  json(value: unknown): void;
  progress(text: string): void;
  progressDone(): void;
}

export function terminalOutput(stdout: NodeJS.WriteStream, stderr: NodeJS.WriteStream): Output {
  let drawn = false;
  return {
    line: (text) => void stdout.write(`${text}\n`),
    json: (value) => void stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    progress: (text) => {
      if (!stderr.isTTY) return;
      stderr.write(`\r\x1b[2K${text}`);
      drawn = true;
    },
    progressDone: () => {
      if (drawn) stderr.write('\n');
      drawn = false;
    },
  };
}

/** `label [#######.......] 3/8`. */
export function progressLine(label: string, done: number, total: number, width = 24): string {
  const filled = total > 0 ? Math.round((Math.min(done, total) / total) * width) : 0;
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

/** Rows under a header, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}
