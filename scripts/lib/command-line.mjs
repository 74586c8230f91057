// The command line of the repository's scripts (scripts/, bench/), held to the services' rules:
// `--help` (or `-h`) prints the usage and exits 0; an unknown flag, a missing value or an unknown
// positional exits 2 with a message naming it, before anything starts.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * @typedef {{ type: 'boolean' | 'string', description: string, default?: string | boolean,
 *   value?: string }} FlagSpec
 * @typedef {{ usage: string, description: string, flags?: Record<string, FlagSpec>,
 *   positionals?: { name: string, description: string, choices?: readonly string[] }[] }} CommandSpec
 */

/** The help text of a command: usage, what it does, its positionals and flags. */
export function helpText(spec) {
  const flags = Object.entries(spec.flags ?? {}).map(([name, f]) => {
    const shown = f.type === 'string' ? `--${name} <${f.value ?? 'value'}>` : `--${name}`;
    const fallback = f.default === undefined || f.default === false ? '' : ` (default: ${String(f.default)})`;
    return [shown, `${f.description}${fallback}`];
  });
  flags.push(['-h, --help', 'show this help']);
  const positionals = (spec.positionals ?? []).map((p) => [
    p.name,
    `${p.description}${p.choices ? ` (${p.choices.join(', ')})` : ''}`,
  ]);
  const width = Math.max(...[...flags, ...positionals].map(([left]) => left.length));
  const rows = (list) => list.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
  return [
    `Usage: ${spec.usage}`,
    '',
    spec.description,
    ...(positionals.length > 0 ? ['', 'Arguments:', rows(positionals)] : []),
    '',
    'Options:',
    rows(flags),
    '',
  ].join('\n');
}

/** Exits 2 with `<script>: <message>` on stderr, as the services do on a bad flag. */
export function usageError(message) {
  const script = relative(fileURLToPath(new URL('../..', import.meta.url)), process.argv[1] ?? 'script');
  process.stderr.write(`${script}: ${message}; --help shows the usage\n`);
  process.exit(2);
}

/**
 * Parses `argv` (default: this process's arguments) against `spec`. Prints the help and exits 0 on
 * `--help`; exits 2 naming the first unknown flag, bad value or unknown positional.
 * @param {CommandSpec} spec
 * @returns {{ flags: Record<string, string | boolean | undefined>, positionals: string[] }}
 */
export function parseCommandLine(spec, argv = process.argv.slice(2)) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText(spec));
    process.exit(0);
  }
  const options = Object.fromEntries(
    Object.entries(spec.flags ?? {}).map(([name, f]) => [
      name,
      { type: f.type, ...(f.default === undefined ? {} : { default: f.default }) },
    ]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    const flag = /'(-[^']*)'/.exec(err instanceof Error ? err.message : '')?.[1];
    const known = Object.keys(spec.flags ?? {}).map((name) => `--${name}`);
    if (err?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      usageError(`${flag ?? 'a flag'}: unknown flag (known: ${[...known, '--help'].join(', ')})`);
    usageError(flag ? `${flag}: ${err.message}` : String(err?.message ?? err));
  }
  const declared = spec.positionals ?? [];
  const repeated = declared.at(-1)?.name.endsWith('...') === true;
  if (!repeated && parsed.positionals.length > declared.length)
    usageError(`${parsed.positionals[declared.length]}: unexpected argument`);
  parsed.positionals.forEach((value, i) => {
    const choices = declared[Math.min(i, declared.length - 1)]?.choices;
    if (choices && !choices.includes(value))
      usageError(
        `${value}: unknown ${declared[Math.min(i, declared.length - 1)].name.replace('...', '')} (known: ${choices.join(', ')})`,
      );
  });
  return { flags: parsed.values, positionals: parsed.positionals };
}

/** The value of an integer flag, at least `min`; exits 2 naming the flag otherwise. */
export function integerFlag(flags, name, min = 0) {
  const raw = flags[name];
  const value = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || value < min)
    usageError(`--${name}: must be an integer >= ${min} (got "${String(raw)}")`);
  return value;
}
