/**
 * Command-line options with environment fallback, declared once per app.
 *
 * Every app accepts the reference's kebab-case flags (`--host`, `--port`, `--admin-api-key`, ...).
 * A flag's environment fallback is its name in SCREAMING_SNAKE (`--poll-interval` ↔ `POLL_INTERVAL`).
 * Precedence: command line, then environment, then the declared default. Values are parsed and
 * validated before Nest starts; a bad value is a {@link ConfigError} naming the flag, and the
 * process exits non-zero (see `bootstrapApp`).
 *
 * We use a small declarative parser rather than class-validator env classes because the flags,
 * not env vars, are the primary interface (the controller launches every service with flags), and
 * the error must name the flag the user typed.
 */

export type OptionSpec =
  | {
      type: 'string';
      default?: string;
      choices?: readonly string[];
      secret?: boolean;
      description: string;
      /**
       * A profile: the settings each value implies (`{'2': {'capacity-permits': 'off'}}`), as raw
       * values of the app's other flags. An implied setting ranks below the command line and the
       * environment and above the default; flags the app does not declare are skipped.
       */
      implies?: Readonly<Record<string, Readonly<Record<string, string>>>>;
    }
  | { type: 'int'; default?: number; min?: number; max?: number; description: string }
  | { type: 'float'; default?: number; min?: number; max?: number; description: string }
  /** A duration given in seconds (as the reference's flags are); also read in milliseconds as `options.ms[flag]`. */
  | { type: 'seconds'; default?: number; min?: number; max?: number; description: string }
  | { type: 'boolean'; default?: boolean; description: string }
  | { type: 'url'; default?: string; description: string }
  | {
      type: 'string-list';
      default?: string[];
      description: string;
      /** Why one item is not acceptable (the message), or null when it is. */
      validate?: (item: string) => string | null;
    };

export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S extends { type: 'string' | 'url' }
  ? string
  : S extends { type: 'int' | 'float' | 'seconds' }
    ? number
    : S extends { type: 'boolean' }
      ? boolean
      : S extends { type: 'string-list' }
        ? string[]
        : never;

type SecondsFlag<S extends OptionSpecs> = { [K in keyof S]: S[K] extends { type: 'seconds' } ? K : never }[keyof S];

/** Every duration flag in milliseconds, computed once at parse time: `options.ms['poll-interval']`. */
export type Milliseconds<S extends OptionSpecs> = {
  readonly [K in SecondsFlag<S>]: S[K] extends { default: number } ? number : number | undefined;
};

/**
 * Parsed options keyed by flag name (kebab-case), e.g. `options['poll-interval']` (seconds, as
 * given), and the same durations in milliseconds under `ms` (what timers and clients take).
 */
export type ParsedOptions<S extends OptionSpecs> = {
  -readonly [K in keyof S]: S[K] extends { default: unknown } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
} & { readonly ms: Milliseconds<S> };

export class ConfigError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(`--${flag}: ${message}`);
    this.name = 'ConfigError';
  }
}

export function envNameOf(flag: string): string {
  return flag.replace(/-/g, '_').toUpperCase();
}

function parseValue(flag: string, spec: OptionSpec, raw: string): unknown {
  switch (spec.type) {
    case 'string': {
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new ConfigError(flag, `must be one of ${spec.choices.join(', ')} (got "${raw}")`);
      }
      return raw;
    }
    case 'int':
    case 'float':
    case 'seconds': {
      const trimmed = raw.trim();
      const value = Number(trimmed);
      if (trimmed === '' || !Number.isFinite(value)) {
        throw new ConfigError(flag, `must be a number (got "${raw}")`);
      }
      if (spec.type === 'int' && !Number.isInteger(value)) {
        throw new ConfigError(flag, `must be an integer (got "${raw}")`);
      }
      if (spec.min !== undefined && value < spec.min) {
        throw new ConfigError(flag, `must be >= ${spec.min} (got ${value})`);
      }
      if (spec.max !== undefined && value > spec.max) {
        throw new ConfigError(flag, `must be <= ${spec.max} (got ${value})`);
      }
      return value;
    }
    case 'boolean': {
      const lowered = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(lowered)) return true;
      if (['0', 'false', 'no', 'off'].includes(lowered)) return false;
      throw new ConfigError(flag, `must be true or false (got "${raw}")`);
    }
    case 'url': {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new ConfigError(flag, `must be an http(s) URL (got "${raw}")`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new ConfigError(flag, `must be an http(s) URL (got "${raw}")`);
      }
      return raw.replace(/\/+$/, '');
    }
    case 'string-list': {
      const items = raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
      for (const item of items) {
        const problem = spec.validate?.(item);
        if (problem) throw new ConfigError(flag, problem);
      }
      return items;
    }
  }
}

export interface ParseOptionsResult<S extends OptionSpecs> {
  options: ParsedOptions<S>;
  /** Flags given on the command line that no spec declares (ignored, as the reference does). */
  unknownFlags: string[];
}

/**
 * Parses `argv` (without the node and script entries) and `env` against `specs`.
 * Accepts `--flag value`, `--flag=value`, and for booleans a bare `--flag` or `--no-flag`.
 */
export function parseOptions<S extends OptionSpecs>(
  specs: S,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParseOptionsResult<S> {
  const fromArgv = new Map<string, string>();
  const unknownFlags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      throw new ConfigError(arg, 'unexpected positional argument');
    }
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let inline: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    // Accept snake_case spellings too (`--admin_api_key`), as Python's argparse users type them.
    name = name.replace(/_/g, '-');
    if (
      !(name in specs) &&
      name.startsWith('no-') &&
      specs[name.slice(3)]?.type === 'boolean' &&
      inline === undefined
    ) {
      name = name.slice(3);
      inline = 'false';
    }
    const spec = specs[name];
    if (!spec) {
      unknownFlags.push(name);
      // Skip the unknown flag's value, if it has one.
      if (inline === undefined && i + 1 < argv.length && !argv[i + 1].startsWith('--')) i++;
      continue;
    }
    if (inline === undefined) {
      if (spec.type === 'boolean' && (i + 1 >= argv.length || argv[i + 1].startsWith('--'))) {
        inline = 'true';
      } else if (i + 1 < argv.length) {
        inline = argv[++i];
      } else {
        throw new ConfigError(name, 'expects a value');
      }
    }
    fromArgv.set(name, inline);
  }

  const implied = impliedSettings(specs, fromArgv, env);
  const options: Record<string, unknown> = {};
  const ms: Record<string, number | undefined> = {};
  for (const [flag, spec] of Object.entries(specs)) {
    const raw = fromArgv.get(flag) ?? env[envNameOf(flag)] ?? implied.get(flag);
    if (raw !== undefined) {
      options[flag] = parseValue(flag, spec, raw);
    } else {
      options[flag] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
    }
    if (spec.type === 'seconds') ms[flag] = options[flag] === undefined ? undefined : (options[flag] as number) * 1000;
  }
  options.ms = ms;
  return { options: options as ParsedOptions<S>, unknownFlags };
}

/** The raw values the chosen profiles imply, for the flags `specs` declares (see `implies`). */
function impliedSettings(
  specs: OptionSpecs,
  fromArgv: ReadonlyMap<string, string>,
  env: Readonly<Record<string, string | undefined>>,
): Map<string, string> {
  const implied = new Map<string, string>();
  for (const [flag, spec] of Object.entries(specs)) {
    if (spec.type !== 'string' || !spec.implies) continue;
    const chosen = fromArgv.get(flag) ?? env[envNameOf(flag)] ?? spec.default;
    // An unknown value is refused with the flag's other values below.
    const settings = chosen === undefined ? undefined : spec.implies[chosen];
    for (const [name, value] of Object.entries(settings ?? {})) if (name in specs) implied.set(name, value);
  }
  return implied;
}

/** One line per option, for `--help`. */
export function describeOptions(specs: OptionSpecs): string {
  return Object.entries(specs)
    .map(([flag, spec]) => {
      const def =
        spec.default === undefined || (spec.type === 'string' && spec.secret)
          ? ''
          : ` (default: ${JSON.stringify(spec.default)})`;
      const choices = spec.type === 'string' && spec.choices ? ` [${spec.choices.join('|')}]` : '';
      return `  --${flag} <${spec.type}>${choices}  ${spec.description}${def}${profileOf(spec, specs)}  [env ${envNameOf(flag)}]`;
    })
    .join('\n');
}

/** What each value of a profile flag sets among `specs`' flags: ` (2 sets --a x, --b y)`. */
function profileOf(spec: OptionSpec, specs: OptionSpecs): string {
  if (spec.type !== 'string' || !spec.implies) return '';
  const described = Object.entries(spec.implies).flatMap(([value, settings]) => {
    const here = Object.entries(settings).filter(([name]) => name in specs);
    return here.length > 0 ? [`${value} sets ${here.map(([name, raw]) => `--${name} ${raw}`).join(', ')}`] : [];
  });
  return described.length > 0 ? ` (${described.join('; ')})` : '';
}

/** `unknown flag (did you mean --y?)`, naming the closest known flag when one is close. */
export function unknownFlagMessage(flag: string, known: readonly string[]): string {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const name of known) {
    const distance = editDistance(flag, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  const close = best !== null && bestDistance <= Math.max(2, Math.floor(flag.length / 4));
  return `unknown flag${close ? ` (did you mean --${best}?)` : ''}; --help lists them all`;
}

/** Levenshtein distance (flag names are short). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}
