// One unit over 300 lines: the value model of the compiled chat templates (kinds, truthiness, text,
// JSON, equality, operators, member access); each rule mirrors one rule of `@huggingface/jinja`'s
// interpreter and they are checked against it together.
/**
 * Values of compiled chat templates are plain JavaScript values (strings, numbers, booleans,
 * null, undefined, arrays, the request's objects) instead of the interpreter's wrapper objects,
 * which is most of why a compiled template renders many times faster. Each operation mirrors
 * what `@huggingface/jinja` does on success; where its outcome would depend on something this
 * model does not keep (a float that looks like an integer, a value printed through JavaScript's
 * own `toString`), the operation throws {@link Unsupported} and the caller renders with the
 * interpreter instead, so a compiled render is either the interpreter's text or not used.
 */

/** Thrown where the compiled template cannot promise the interpreter's result; the caller falls back. */
export class Unsupported extends Error {}

export const unsupported = (what: string): never => {
  throw new Unsupported(what);
};

/** A `namespace(...)` object: attributes assignable with `{% set ns.x = ... %}`. */
export class Namespace {
  constructor(readonly attributes: Map<string, unknown>) {}
}

/** Keyword arguments of a call, passed last, as the interpreter passes them. */
export class KeywordArguments {
  constructor(readonly values: Map<string, unknown>) {}
}

/** A callable value: a macro, a global (`namespace`, `range`, ...) or a method bound to its value. */
export class TemplateFunction {
  constructor(readonly call: (args: unknown[], scope: Scope) => unknown) {}
}

/** Arrays made by a tuple literal: the interpreter tells them apart in two places (`is iterable`, loop unpacking). */
export const tuples = new WeakSet<unknown[]>();

/** Variables, one map per scope (the interpreter's `Environment`, resolved the same way). */
export class Scope {
  private readonly variables = new Map<string, unknown>();

  constructor(private readonly parent: Scope | null) {}

  set(name: string, value: unknown): void {
    this.variables.set(name, value);
  }

  /** A global or context variable; a second declaration of one name is the interpreter's error. */
  declare(name: string, value: unknown): void {
    if (this.variables.has(name)) throw new SyntaxError(`Variable already declared: ${name}`);
    this.variables.set(name, value);
  }

  lookup(name: string): unknown {
    const value = this.variables.get(name);
    if (value !== undefined || this.variables.has(name)) return value;
    return this.parent ? this.parent.lookup(name) : undefined;
  }
}

/** A mapping in the interpreter's sense: the request's objects, object literals, `loop`. */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Namespace) &&
    !(value instanceof KeywordArguments) &&
    !(value instanceof TemplateFunction)
  );
}

const isPrimitive = (value: unknown): value is string | number | boolean =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** A number the interpreter holds as an integer (a float only when it has a fraction, in this model). */
function integer(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

export function truthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (isMapping(value)) {
    for (const key in value) if (Object.hasOwn(value, key)) return true;
    return false;
  }
  if (value instanceof KeywordArguments) return value.values.size > 0;
  return Boolean(value);
}

/** The text `{{ value }}` writes; null and undefined write nothing (the caller skips them). */
export function toText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return '';
      if (value instanceof TemplateFunction) return unsupported('printing a function');
      return toJson(value, null, false);
    case 'undefined':
      return '';
    case 'bigint':
    case 'function':
    case 'symbol':
      return unsupported(`printing a ${typeof value}`);
  }
}

export interface JsonOptions {
  indent: number | null;
  ensureAscii: boolean;
  sortKeys: boolean;
  separators: [string, string] | null;
}

const asciiSafe = (text: string): string =>
  text.replace(/[\x7f-\uffff]/g, (char) => '\\u' + char.charCodeAt(0).toString(16).padStart(4, '0'));

/** `tojson` (and the text of arrays and mappings), with the interpreter's separators and key order. */
export function toJson(value: unknown, options: JsonOptions | null, undefinedAsNull = true, depth = 0): string {
  const indent = options?.indent ?? null;
  const [itemSeparator, keySeparator] = options?.separators ?? (indent ? [',', ': '] : [', ', ': ']);
  if (value === null) return 'null';
  if (value === undefined) return undefinedAsNull ? 'null' : 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') {
    const text = JSON.stringify(value);
    return options?.ensureAscii ? asciiSafe(text) : text;
  }
  let entries: [string | null, unknown][];
  let open: string;
  let close: string;
  if (Array.isArray(value)) {
    // The interpreter has no JSON for a tuple (nor for keyword arguments, below): its error, not ours.
    if (tuples.has(value)) return unsupported('tojson of a tuple');
    entries = value.map((item) => [null, item]);
    [open, close] = ['[', ']'];
  } else {
    let pairs: [string, unknown][];
    if (value instanceof Namespace) pairs = [...value.attributes];
    else if (isMapping(value)) pairs = Object.entries(value);
    else return unsupported('tojson of a function');
    if (options?.sortKeys) pairs = pairs.sort(([a], [b]) => a.localeCompare(b));
    entries = pairs;
    [open, close] = ['{', '}'];
  }
  const indentText = indent ? ' '.repeat(indent) : '';
  const basePadding = '\n' + indentText.repeat(depth);
  const childPadding = basePadding + indentText;
  const core = entries.map(([key, item]) => {
    const itemText = toJson(item, options, undefinedAsNull, depth + 1);
    let text = itemText;
    if (key !== null) {
      const keyText = options?.ensureAscii ? asciiSafe(JSON.stringify(key)) : JSON.stringify(key);
      text = `${keyText}${keySeparator}${itemText}`;
    }
    return indent && key !== null ? `${childPadding}${text}` : text;
  });
  if (Array.isArray(value))
    return indent && core.length > 0
      ? `${open}${childPadding}${core.join(`${itemSeparator}${childPadding}`)}${basePadding}${close}`
      : `${open}${core.join(itemSeparator)}${close}`;
  return indent && core.length > 0
    ? `${open}${core.join(itemSeparator)}${basePadding}${close}`
    : `${open}${core.join(itemSeparator)}${close}`;
}

/**
 * What JavaScript's `toString` makes of the value the interpreter wraps (`+` and `~` with a string,
 * `==` against a plain value): an array's items joined by commas, each as the interpreter prints
 * it (none and undefined both as `undefined`: its none wraps no value), a mapping's or namespace's
 * `Map` as `[object Map]`.
 */
export function wrappedText(value: unknown): string {
  if (isPrimitive(value)) return String(value);
  if (Array.isArray(value))
    return value.map((item) => (item === null || item === undefined ? 'undefined' : toText(item))).join(',');
  if (isMapping(value) || value instanceof Namespace || value instanceof KeywordArguments) return '[object Map]';
  return unsupported('the text of a function');
}

/** `==`: the interpreter compares the wrapped values with JavaScript's `==`. */
export function looseEquals(left: unknown, right: unknown): boolean {
  if (typeof left === 'string' && typeof right === 'string') return left === right;
  const leftPlain = left === null || left === undefined || isPrimitive(left);
  const rightPlain = right === null || right === undefined || isPrimitive(right);
  // JavaScript's loose equality is the interpreter's rule here (`1 == true`, none == undefined).
  // eslint-disable-next-line eqeqeq -- the interpreter's `==` on wrapped values
  if (leftPlain && rightPlain) return left == right;
  if (left instanceof TemplateFunction || right instanceof TemplateFunction) return unsupported('== on a function');
  // Containers compare by identity; a container against null or undefined is unequal; against a
  // string, number or boolean, JavaScript compares its text.
  if (!leftPlain && !rightPlain) return left === right;
  const plain = leftPlain ? left : right;
  if (plain === null || plain === undefined) return false;
  // eslint-disable-next-line eqeqeq -- the interpreter's `==` on wrapped values
  return wrappedText(leftPlain ? right : left) == plain;
}

/** A binary operator other than `and`, `or`, `==`, `!=`, in the order the interpreter tries them. */
export function binary(operator: string, left: unknown, right: unknown): unknown {
  if (left === undefined || right === undefined) {
    if (right === undefined && (operator === 'in' || operator === 'not in')) return operator === 'not in';
    throw new Error(`Cannot perform operation ${operator} on undefined values`);
  }
  if (left === null || right === null) throw new Error('Cannot perform operation on null values');
  if (operator === '~') return wrappedText(left) + wrappedText(right);
  if (typeof left === 'number' && typeof right === 'number') {
    if (!integer(left) || !integer(right)) return unsupported('arithmetic on floats');
    switch (operator) {
      case '+':
        return left + right;
      case '-':
        return left - right;
      case '*':
        return left * right;
      case '//':
      case '%': {
        const result = operator === '//' ? Math.floor(left / right) : left % right;
        return Number.isFinite(result) ? result : unsupported('division by zero');
      }
      case '<':
        return left < right;
      case '>':
        return left > right;
      case '>=':
        return left >= right;
      case '<=':
        return left <= right;
      case '/':
      case '**':
        return unsupported(`${operator} (a float)`);
    }
  } else if (Array.isArray(left) && Array.isArray(right)) {
    if (operator === '+') return left.concat(right);
  } else if (Array.isArray(right)) {
    if (operator === 'in' || operator === 'not in') {
      const member = right.some((item) => item === left);
      return operator === 'in' ? member : !member;
    }
  }
  if (typeof left === 'string' || typeof right === 'string') {
    if (operator === '+') return wrappedText(left) + wrappedText(right);
  }
  if (typeof left === 'string' && typeof right === 'string') {
    if (operator === 'in') return right.includes(left);
    if (operator === 'not in') return !right.includes(left);
  }
  if (typeof left === 'string' && isMapping(right)) {
    if (operator === 'in') return Object.hasOwn(right, left);
    if (operator === 'not in') return !Object.hasOwn(right, left);
  }
  throw new SyntaxError(`Unknown operator "${operator}"`);
}

export function unary(operator: string, value: unknown): unknown {
  if (operator === 'not') return !truthy(value);
  if (operator === '-' || operator === '+') {
    if (typeof value === 'boolean') return operator === '-' ? -Number(value) : Number(value);
    if (integer(value)) return operator === '-' ? -value : value;
    return unsupported(`unary ${operator} on a non-integer`);
  }
  throw new SyntaxError(`Unknown operator: ${operator}`);
}

/** The interpreter's slice (Python's rules for negative and missing bounds). */
export function slice(value: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  if (!Array.isArray(value) && typeof value !== 'string') throw new Error('Slice object must be an array or string');
  for (const bound of [start, stop, step])
    if (bound !== undefined && !integer(bound)) throw new Error('Slice bounds must be numeric or undefined');
  const items: unknown[] = typeof value === 'string' ? Array.from(value) : value;
  const by = (step as number | undefined) ?? 1;
  const length = items.length;
  let from: number;
  let to: number;
  if (Math.sign(by) >= 0) {
    from = (start as number | undefined) ?? 0;
    from = from < 0 ? Math.max(length + from, 0) : Math.min(from, length);
    to = (stop as number | undefined) ?? length;
    to = to < 0 ? Math.max(length + to, 0) : Math.min(to, length);
  } else {
    from = (start as number | undefined) ?? length - 1;
    from = from < 0 ? Math.max(length + from, -1) : Math.min(from, length - 1);
    to = (stop as number | undefined) ?? -1;
    to = to < -1 ? Math.max(length + to, -1) : Math.min(to, length - 1);
  }
  if (by === 0) return unsupported('slice step 0');
  const direction = Math.sign(by);
  const out: unknown[] = [];
  for (let i = from; direction * i < direction * to; i += by) out.push(items[i]);
  return typeof value === 'string' ? out.join('') : out;
}

/** What `is <name>` answers, or undefined for a test this model does not mirror. */
export const TESTS: Record<string, (value: unknown) => boolean> = {
  boolean: (v) => typeof v === 'boolean',
  callable: (v) => v instanceof TemplateFunction,
  odd: (v) => {
    if (!integer(v)) throw new Error('cannot odd on a non-integer');
    return v % 2 !== 0;
  },
  even: (v) => {
    if (!integer(v)) throw new Error('cannot even on a non-integer');
    return v % 2 === 0;
  },
  false: (v) => v === false,
  true: (v) => v === true,
  none: (v) => v === null,
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  integer: (v) => integer(v),
  iterable: (v) => typeof v === 'string' || (Array.isArray(v) && !tuples.has(v)),
  mapping: (v) => isMapping(v) || v instanceof KeywordArguments,
  sequence: (v) => typeof v === 'string' || Array.isArray(v) || isMapping(v) || v instanceof KeywordArguments,
  lower: (v) => typeof v === 'string' && v === v.toLowerCase(),
  upper: (v) => typeof v === 'string' && v === v.toUpperCase(),
  defined: (v) => v !== undefined,
  undefined: (v) => v === undefined,
};
