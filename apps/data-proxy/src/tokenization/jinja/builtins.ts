// One unit over 300 lines: the built-ins of the compiled chat templates (member access, string and
// mapping methods, filters, globals), each the counterpart of one of `@huggingface/jinja`'s and
// checked against it together with the value model in runtime.ts.
import {
  isMapping,
  KeywordArguments,
  Namespace,
  Scope,
  TemplateFunction,
  toJson,
  truthy,
  tuples,
  unsupported,
  type JsonOptions,
} from './runtime.js';

const integer = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

/**
 * Argument `i`, or `fallback` when fewer were passed: the interpreter's `args[i] ?? fallback` on its
 * wrapper objects, where an undefined value that was passed still counts as passed.
 */
const arg = (args: readonly unknown[], i: number, fallback: unknown): unknown => (i < args.length ? args[i] : fallback);

/** A keyword argument, or `fallback` when it was not passed. */
const keyword = (keywords: Map<string, unknown>, name: string, fallback: unknown): unknown =>
  keywords.has(name) ? keywords.get(name) : fallback;

/** Keys an object inherits from `Object.prototype`: a request object answers them only as its own. */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

/** `object.property` and `object[property]`, as the interpreter resolves them. */
export function member(object: unknown, property: unknown): unknown {
  // The common case first: a field of a request object (JSON objects have Object.prototype).
  if (
    typeof property === 'string' &&
    typeof object === 'object' &&
    object !== null &&
    Object.getPrototypeOf(object) === Object.prototype &&
    !INHERITED.has(property)
  ) {
    const value = (object as Record<string, unknown>)[property];
    if (value !== undefined || Object.hasOwn(object, property)) return value;
    return mappingMethod(object as Record<string, unknown>, property);
  }
  if (object instanceof Namespace) {
    if (typeof property !== 'string') throw new Error('Cannot access property with non-string');
    return object.attributes.get(property);
  }
  if (isMapping(object)) {
    if (typeof property !== 'string') throw new Error('Cannot access property with non-string');
    if (Object.hasOwn(object, property)) return object[property];
    return mappingMethod(object, property);
  }
  if (object instanceof KeywordArguments) return unsupported('members of keyword arguments');
  if (typeof object === 'string' || Array.isArray(object)) {
    if (integer(property)) return object.at(property);
    if (typeof property !== 'string') throw new Error('Cannot access property with non-string/non-number');
    if (typeof object === 'string') return stringMethod(object, property);
    return property === 'length' ? object.length : undefined;
  }
  if (typeof property !== 'string') throw new Error('Cannot access property with non-string');
  return undefined;
}

/** A keyword-arguments value passed last, split off (the interpreter's calling convention). */
function splitKeywords(args: unknown[]): [unknown[], Map<string, unknown>] {
  const last = args.at(-1);
  return last instanceof KeywordArguments ? [args.slice(0, -1), last.values] : [args, new Map<string, unknown>()];
}

function stringMethod(text: string, name: string): unknown {
  switch (name) {
    case 'length':
      return text.length;
    case 'upper':
      return new TemplateFunction(() => text.toUpperCase());
    case 'lower':
      return new TemplateFunction(() => text.toLowerCase());
    // The interpreter's strip, lstrip and rstrip ignore their argument and trim whitespace.
    case 'strip':
      return new TemplateFunction(() => text.trim());
    case 'lstrip':
      return new TemplateFunction(() => text.trimStart());
    case 'rstrip':
      return new TemplateFunction(() => text.trimEnd());
    case 'title':
      return new TemplateFunction(() => text.replace(/\b\w/g, (c) => c.toUpperCase()));
    case 'capitalize':
      return new TemplateFunction(() => text.charAt(0).toUpperCase() + text.slice(1));
    case 'startswith':
    case 'endswith':
      return new TemplateFunction((args) => {
        if (args.length === 0) throw new Error(`${name}() requires at least one argument`);
        const test = (affix: string): boolean =>
          name === 'startswith' ? text.startsWith(affix) : text.endsWith(affix);
        const pattern = args[0];
        if (typeof pattern === 'string') return test(pattern);
        if (Array.isArray(pattern)) {
          for (const item of pattern) {
            if (typeof item !== 'string') throw new Error(`${name}() tuple elements must be strings`);
            if (test(item)) return true;
          }
          return false;
        }
        throw new Error(`${name}() argument must be a string or tuple of strings`);
      });
    case 'split':
      return new TemplateFunction((args) => split(text, args));
    case 'replace':
      return new TemplateFunction((args) => replaceText(text, args));
    default:
      return undefined;
  }
}

/** Python's `str.split(sep=None, maxsplit=-1)` as the interpreter writes it. */
function split(text: string, args: unknown[]): string[] {
  const sep = arg(args, 0, null);
  if (sep !== null && typeof sep !== 'string') throw new Error('sep argument must be a string or null');
  const maxsplit = arg(args, 1, -1);
  if (!integer(maxsplit)) throw new Error('maxsplit argument must be a number');
  if (sep === null) {
    const out: string[] = [];
    const rest = text.trimStart();
    for (const match of rest.matchAll(/\S+/g)) {
      if (maxsplit !== -1 && out.length >= maxsplit) {
        out.push(match[0] + rest.slice(match.index + match[0].length));
        break;
      }
      out.push(match[0]);
    }
    return out;
  }
  if (sep === '') throw new Error('empty separator');
  const parts = text.split(sep);
  if (maxsplit !== -1 && parts.length > maxsplit) parts.push(parts.splice(maxsplit).join(sep));
  return parts;
}

function replaceText(text: string, args: unknown[]): string {
  if (args.length < 2) throw new Error('replace() requires at least two arguments');
  const [from, to] = args;
  if (typeof from !== 'string' || typeof to !== 'string') throw new Error('replace() arguments must be strings');
  let count: unknown = null;
  if (args.length > 2) count = args[2] instanceof KeywordArguments ? keyword(args[2].values, 'count', null) : args[2];
  if (count !== null && !integer(count)) throw new Error('replace() count argument must be a number or null');
  if (count === 0) return text;
  let remaining = count === null || count < 0 ? Infinity : count;
  const pattern =
    from.length === 0 ? new RegExp('(?=)', 'gu') : new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
  return text.replaceAll(pattern, (match) => {
    if (remaining <= 0) return match;
    remaining--;
    return to;
  });
}

const pairsOf = (mapping: Record<string, unknown>): unknown[][] =>
  Object.entries(mapping).map(([key, value]) => [key, value]);

function mappingMethod(mapping: Record<string, unknown>, name: string): unknown {
  switch (name) {
    case 'get':
      return new TemplateFunction((args) => {
        const key = args[0];
        if (typeof key !== 'string') throw new Error('Object key must be a string');
        return Object.hasOwn(mapping, key) ? mapping[key] : arg(args, 1, null);
      });
    case 'items':
      return new TemplateFunction(() => pairsOf(mapping));
    case 'keys':
      return new TemplateFunction(() => Object.keys(mapping));
    case 'values':
      return new TemplateFunction(() => Object.values(mapping));
    case 'dictsort':
      return unsupported('dictsort');
    default:
      return undefined;
  }
}

/** A filter written without arguments (`value | name`). */
export function filterByName(name: string, value: unknown): unknown {
  if (name === 'safe') return value;
  if (name === 'tojson') return toJson(value, null);
  if (Array.isArray(value)) {
    switch (name) {
      case 'list':
        return value;
      // On an empty array the interpreter fails (it returns no value at all).
      case 'first':
        return value.length > 0 ? value[0] : unsupported('first of an empty array');
      case 'last':
        return value.length > 0 ? value[value.length - 1] : unsupported('last of an empty array');
      case 'length':
        return value.length;
      case 'reverse':
        return value.slice().reverse();
      case 'join':
        return joinValues(value, '');
      case 'string':
        return toJson(value, null, false);
      default:
        return unsupported(`filter ${name} on an array`);
    }
  }
  if (typeof value === 'string') {
    switch (name) {
      case 'length':
        return value.length;
      case 'upper':
        return value.toUpperCase();
      case 'lower':
        return value.toLowerCase();
      case 'title':
        return value.replace(/\b\w/g, (c) => c.toUpperCase());
      case 'capitalize':
        return value.charAt(0).toUpperCase() + value.slice(1);
      case 'trim':
        return value.trim();
      case 'join':
      case 'string':
        return value;
      default:
        return unsupported(`filter ${name} on a string`);
    }
  }
  if (isMapping(value)) {
    if (name === 'items') return pairsOf(value);
    if (name === 'length') return Object.keys(value).length;
    return unsupported(`filter ${name} on a mapping`);
  }
  if (typeof value === 'boolean') {
    if (name === 'string') return value ? 'true' : 'false';
    if (name === 'int') return value ? 1 : 0;
    if (name === 'bool') return value;
  }
  if (integer(value)) {
    if (name === 'abs') return Math.abs(value);
    if (name === 'int') return value;
    if (name === 'string') return String(value);
  }
  return unsupported(`filter ${name} on this value`);
}

/** The raw values joined: null and undefined as empty text, containers not mirrored. */
function joinValues(values: unknown[], separator: string): string {
  for (const item of values)
    if (item !== null && item !== undefined && typeof item === 'object') return unsupported('join of containers');
  return values.join(separator);
}

/** A filter with arguments (`value | name(...)`); `args` ends with the keyword arguments, if any. */
export function filterWithArgs(name: string, value: unknown, args: unknown[]): unknown {
  const [positional, keywords] = splitKeywords(args);
  switch (name) {
    case 'tojson': {
      const indent = keyword(keywords, 'indent', null);
      if (indent !== null && !integer(indent)) throw new Error('If set, indent must be a number');
      const ensureAscii = keyword(keywords, 'ensure_ascii', false);
      const sortKeys = keyword(keywords, 'sort_keys', false);
      if (typeof ensureAscii !== 'boolean' || typeof sortKeys !== 'boolean')
        throw new Error('ensure_ascii and sort_keys must be booleans');
      const separatorsArg = keyword(keywords, 'separators', null);
      let separators: [string, string] | null = null;
      if (Array.isArray(separatorsArg)) {
        const [item, key] = separatorsArg as unknown[];
        if (separatorsArg.length !== 2 || typeof item !== 'string' || typeof key !== 'string')
          throw new Error('separators must be a tuple of two strings');
        separators = [item, key];
      } else if (separatorsArg !== null) throw new Error('If set, separators must be a tuple of two strings');
      const options: JsonOptions = { indent, ensureAscii, sortKeys, separators };
      return toJson(value, options);
    }
    case 'join': {
      let items: unknown[];
      if (typeof value === 'string') items = Array.from(value);
      else if (Array.isArray(value)) items = value;
      else throw new Error('Cannot apply filter "join"');
      const separator = arg(positional, 0, keyword(keywords, 'separator', ''));
      if (typeof separator !== 'string') throw new Error('separator must be a string');
      return joinValues(items, separator);
    }
    case 'default': {
      const fallback = arg(positional, 0, '');
      const boolean = arg(positional, 1, keyword(keywords, 'boolean', false));
      if (typeof boolean !== 'boolean') throw new Error('`default` filter flag must be a boolean');
      return value === undefined || (boolean && !truthy(value)) ? fallback : value;
    }
    default:
      return unsupported(`filter ${name} with arguments`);
  }
}

/** `namespace(mapping or pairs, key=value...)`. */
const NAMESPACE = new TemplateFunction((args) => {
  const [positional, keywords] = splitKeywords(args);
  if (positional.length > 1) throw new Error(`namespace expected at most 1 argument, got ${positional.length}`);
  const attributes = new Map<string, unknown>();
  if (positional.length === 1) {
    const source = positional[0];
    if (isMapping(source)) for (const [key, value] of Object.entries(source)) attributes.set(key, value);
    else return unsupported('namespace from pairs');
  }
  for (const [key, value] of keywords) attributes.set(key, value);
  return new Namespace(attributes);
});

/** Globals called with their raw values: keyword arguments would reach them as an object; not mirrored. */
function rawGlobal(call: (...values: unknown[]) => unknown): TemplateFunction {
  return new TemplateFunction((args) => {
    if (args.at(-1) instanceof KeywordArguments) return unsupported('keyword arguments to a global');
    return call(...args);
  });
}

const RAISE = rawGlobal((message) => {
  throw new Error(String(message));
});

const RANGE = rawGlobal((...bounds) => {
  if (!bounds.every(integer) || bounds.length === 0 || bounds.length > 3) return unsupported('range arguments');
  let [start, stop, step] = bounds;
  if (stop === undefined) [start, stop] = [0, start];
  step ??= 1;
  if (step === 0) throw new Error('range() step must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
});

/** `strftime_now(format)`: local time, the directives the interpreter knows (others stay as written). */
const STRFTIME_NOW = rawGlobal((format) => {
  if (typeof format !== 'string') return unsupported('strftime_now without a format');
  const now = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return format.replace(/%[YmdbBHM%]/g, (directive) => {
    switch (directive) {
      case '%Y':
        return String(now.getFullYear());
      case '%m':
        return pad(now.getMonth() + 1);
      case '%d':
        return pad(now.getDate());
      case '%b':
        return new Intl.DateTimeFormat(undefined, { month: 'short' }).format(now);
      case '%B':
        return new Intl.DateTimeFormat(undefined, { month: 'long' }).format(now);
      case '%H':
        return pad(now.getHours());
      case '%M':
        return pad(now.getMinutes());
      default:
        return '%';
    }
  });
});

/** The interpreter's global scope: `namespace` and its globals, then the render's context, each declared once. */
export function globalScope(context: Record<string, unknown>): Scope {
  const scope = new Scope(null);
  scope.declare('namespace', NAMESPACE);
  scope.declare('false', false);
  scope.declare('true', true);
  scope.declare('none', null);
  scope.declare('raise_exception', RAISE);
  scope.declare('range', RANGE);
  scope.declare('strftime_now', STRFTIME_NOW);
  scope.declare('True', true);
  scope.declare('False', false);
  scope.declare('None', null);
  for (const [name, value] of Object.entries(context)) {
    if (typeof value === 'function') return unsupported('a function in the context');
    scope.declare(name, value);
  }
  return scope;
}

/** Whether an array came from a tuple literal (the interpreter refuses to unpack one in a loop). */
export const isTuple = (value: unknown[]): boolean => tuples.has(value);
