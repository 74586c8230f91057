/**
 * JSON the way Python's `json.dumps(..., ensure_ascii=False)` writes it (`", "` and `": "`
 * separators), so tool-call arguments read back as the reference returns them.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number')
    return Number.isFinite(value) ? (Number.isInteger(value) ? String(value) : JSON.stringify(value)) : 'NaN';
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `${JSON.stringify(k)}: ${pythonJsonDumps(v)}`,
  );
  return `{${entries.join(', ')}}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * A call's arguments as the object the model meant: an object as it is, a string holding a JSON
 * object decoded (no double-encoded arguments), absent as `{}`; anything else is not a call.
 */
export function argumentsObject(value: unknown): Record<string, unknown> | null {
  if (value === undefined || value === null) return {};
  if (isPlainObject(value)) return value;
  if (typeof value === 'string') {
    const decoded = tryJson(value);
    return decoded.ok && isPlainObject(decoded.value) ? decoded.value : null;
  }
  return null;
}

/** The JSON schema type of a parameter (`type`, a type list, or the first of `anyOf`/`oneOf`); null if none. */
export function schemaType(schema: Record<string, unknown> | null): string | null {
  if (!schema) return null;
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return (type.find((t) => t !== 'null') as string | undefined) ?? null;
  for (const key of ['anyOf', 'oneOf']) {
    const options = schema[key];
    if (Array.isArray(options))
      for (const option of options) {
        const t = schemaType(isPlainObject(option) ? option : null);
        if (t && t !== 'null') return t;
      }
  }
  if (Array.isArray(schema.enum)) return 'string';
  if (isPlainObject(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return null;
}

/**
 * A parameter value written as text (GLM's `<arg_value>`, Qwen3-Coder's `<parameter=...>`) as the
 * value its schema declares: strings stay text, numbers, booleans, objects and arrays are read as
 * JSON (Python literals for objects and arrays as a fallback), and a value that does not read as
 * its type stays text. `untyped` says what a parameter without a schema type becomes: text, or
 * JSON when it reads as JSON.
 */
export function typedValue(raw: string, schema: Record<string, unknown> | null, untyped: 'text' | 'json'): unknown {
  const type = schemaType(schema);
  const trimmed = raw.trim();
  if (type === 'string') return raw;
  if (type === null) {
    if (untyped === 'text') return raw;
    const json = tryJson(trimmed);
    return json.ok ? json.value : raw;
  }
  if (trimmed.toLowerCase() === 'null') return null;
  if (type === 'integer' || type === 'number') {
    const json = tryJson(trimmed);
    return json.ok && typeof json.value === 'number' ? json.value : raw;
  }
  if (type === 'boolean') {
    const lowered = trimmed.toLowerCase();
    return lowered === 'true' ? true : lowered === 'false' ? false : raw;
  }
  const json = tryJson(trimmed);
  if (json.ok) return json.value;
  const literal = parsePythonLiteral(trimmed);
  return literal.ok ? literal.value : raw;
}

/** A Python literal (`'a'`, `1.5`, `True`, `None`, lists, tuples, dicts) as JSON values. */
export function parsePythonLiteral(text: string): { ok: true; value: unknown } | { ok: false } {
  const reader = new PythonLiteralReader(text);
  try {
    const value = reader.value();
    reader.skipSpace();
    return reader.atEnd() ? { ok: true, value } : { ok: false };
  } catch {
    return { ok: false };
  }
}

/** A call in Python syntax: `name(key=literal, ...)`. */
export interface PythonCall {
  name: string;
  kwargs: Record<string, unknown>;
}

/** `[f(a=1), g(b="x")]`: a Python list of calls with keyword literals; null when the text is not exactly that. */
export function parsePythonCallList(text: string): PythonCall[] | null {
  const reader = new PythonLiteralReader(text);
  try {
    reader.skipSpace();
    reader.expect('[');
    const calls: PythonCall[] = [];
    reader.skipSpace();
    if (!reader.eat(']')) {
      for (;;) {
        calls.push(reader.call());
        reader.skipSpace();
        if (reader.eat(']')) break;
        reader.expect(',');
        reader.skipSpace();
      }
    }
    reader.skipSpace();
    return reader.atEnd() && calls.length > 0 ? calls : null;
  } catch {
    return null;
  }
}

class PythonLiteralReader {
  private at = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.at >= this.text.length;
  }

  skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at])) this.at++;
  }

  eat(char: string): boolean {
    if (this.text[this.at] !== char) return false;
    this.at++;
    return true;
  }

  expect(char: string): void {
    if (!this.eat(char)) throw new Error(`expected ${char} at ${this.at}`);
  }

  identifier(): string {
    const match = /^[A-Za-z_][\w.]*/.exec(this.text.slice(this.at));
    if (!match) throw new Error(`expected a name at ${this.at}`);
    this.at += match[0].length;
    return match[0];
  }

  call(): PythonCall {
    const name = this.identifier();
    this.skipSpace();
    this.expect('(');
    const kwargs: Record<string, unknown> = {};
    this.skipSpace();
    if (!this.eat(')')) {
      for (;;) {
        this.skipSpace();
        const key = this.identifier();
        this.skipSpace();
        this.expect('=');
        kwargs[key] = this.value();
        this.skipSpace();
        if (this.eat(')')) break;
        this.expect(',');
        this.skipSpace();
        if (this.eat(')')) break;
      }
    }
    return { name, kwargs };
  }

  value(): unknown {
    this.skipSpace();
    const c = this.text[this.at];
    if (c === '"' || c === "'") return this.string();
    if (c === '[' || c === '(') return this.sequence(c === '[' ? ']' : ')');
    if (c === '{') return this.dict();
    const word = /^(True|False|None)\b/.exec(this.text.slice(this.at));
    if (word) {
      this.at += word[0].length;
      return word[0] === 'True' ? true : word[0] === 'False' ? false : null;
    }
    const number = /^-?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)/.exec(this.text.slice(this.at));
    if (number) {
      this.at += number[0].length;
      return Number(number[0]);
    }
    throw new Error(`unexpected ${c} at ${this.at}`);
  }

  private sequence(close: string): unknown[] {
    this.at++;
    const items: unknown[] = [];
    this.skipSpace();
    if (this.eat(close)) return items;
    for (;;) {
      items.push(this.value());
      this.skipSpace();
      if (this.eat(close)) return items;
      this.expect(',');
      this.skipSpace();
      if (this.eat(close)) return items;
    }
  }

  private dict(): Record<string, unknown> {
    this.at++;
    const out: Record<string, unknown> = {};
    this.skipSpace();
    if (this.eat('}')) return out;
    for (;;) {
      const key = this.value();
      if (typeof key !== 'string' && typeof key !== 'number') throw new Error('dict keys must be strings');
      this.skipSpace();
      this.expect(':');
      out[String(key)] = this.value();
      this.skipSpace();
      if (this.eat('}')) return out;
      this.expect(',');
      this.skipSpace();
      if (this.eat('}')) return out;
    }
  }

  private string(): string {
    const quote = this.text[this.at++];
    let out = '';
    for (;;) {
      if (this.at >= this.text.length) throw new Error('unterminated string');
      const c = this.text[this.at++];
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.at++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
      if (e in simple) out += simple[e];
      else if (e === 'u' || e === 'x') {
        const length = e === 'u' ? 4 : 2;
        const hex = this.text.slice(this.at, this.at + length);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== length) throw new Error('bad escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.at += length;
      } else out += `\\${e}`;
    }
  }
}
