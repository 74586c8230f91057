// One unit over 300 lines: the streaming machine every marker-delimited tool-call format shares,
// and each family's syntax for it (what opens and closes its calls, how it writes a call); they
// are read together when a format is added or the machine's rules change.
import {
  pythonJsonDumps,
  argumentsObject,
  isPlainObject,
  parsePythonCallList,
  tryJson,
  typedValue,
} from './json-values.js';
import { safeLength } from './reasoning-parsers.js';
import {
  newToolCallId,
  type ParseStep,
  type ParsedCall,
  type ToolCall,
  type ToolCallSyntax,
  type ToolSet,
} from './parser-types.js';

/**
 * Where a family's tool calls sit in an answer: the markers that open a section of calls
 * anywhere, or only at the very start of the answer (Llama's bare JSON, pythonic lists); where a
 * section ends; and the calls a section holds.
 */
interface SectionSyntax {
  starts: readonly string[];
  leadingStarts?: readonly string[];
  /** Index just past the section that `buffer` opens with, or -1 while it is not complete (always -1 for sections that run to the end of the answer). */
  end(buffer: string): number;
  /** The valid calls to known tools in a section (complete, or cut off by the end of the answer). */
  calls(section: string, tools: ToolSet): ParsedCall[];
}

/** The text after the tool stage: what the client sees, and the calls as they complete. */
export interface ToolCallStream {
  push(text: string): ParseStep;
  finish(): ParseStep;
}

export interface ToolCallParser {
  readonly name: string;
  readonly syntax: ToolCallSyntax;
  stream(tools: ToolSet): ToolCallStream;
}

function toToolCall(call: ParsedCall): ToolCall {
  return {
    id: call.id ?? newToolCallId(),
    type: 'function',
    function: { name: call.name, arguments: pythonJsonDumps(call.arguments) },
  };
}

/**
 * The streaming machine of the marker-delimited formats. Text outside sections is released as it
 * arrives, except what could still begin a marker and trailing whitespace (dropped if a call
 * follows). A section is held until it closes (or the answer ends) and then becomes its calls;
 * a section with no valid call is released as the text it was. The content of an answer with
 * calls is the text before the first call (trailing whitespace trimmed); what follows the first
 * call, other than calls, is dropped, as the reference does. The same text gives the same result
 * however it is cut into pieces.
 */
class SectionToolCallStream implements ToolCallStream {
  private pending = '';
  private heldSpace = '';
  private inSection = false;
  private atStart = true;
  private sawCall = false;

  constructor(
    private readonly syntax: SectionSyntax,
    private readonly tools: ToolSet,
  ) {}

  push(text: string): ParseStep {
    this.pending += text;
    return this.run(false);
  }

  finish(): ParseStep {
    const step = this.run(true);
    if (!this.sawCall) step.content += this.heldSpace;
    this.heldSpace = '';
    return step;
  }

  private run(final: boolean): ParseStep {
    const step: ParseStep = { content: '', calls: [] };
    for (;;) {
      if (this.inSection) {
        const end = this.syntax.end(this.pending);
        if (end < 0 && !final) break;
        const cut = end < 0 ? this.pending.length : end;
        this.closeSection(this.pending.slice(0, cut), step);
        this.pending = this.pending.slice(cut);
        this.inSection = false;
        if (end < 0) break;
        continue;
      }
      const at = this.sectionStart();
      if (at >= 0) {
        this.text(this.pending.slice(0, at), step);
        this.pending = this.pending.slice(at);
        this.inSection = true;
        continue;
      }
      let release = this.pending.length;
      if (!final) for (const start of this.syntax.starts) release = Math.min(release, safeLength(this.pending, start));
      this.text(this.pending.slice(0, release), step);
      this.pending = this.pending.slice(release);
      break;
    }
    return step;
  }

  /** Where the next section starts in the pending text, or -1. */
  private sectionStart(): number {
    if (this.atStart && this.syntax.leadingStarts) {
      const body = this.pending.trimStart();
      if (body.length > 0 && this.syntax.leadingStarts.some((s) => body.startsWith(s)))
        return this.pending.length - body.length;
    }
    let first = -1;
    for (const start of this.syntax.starts) {
      const at = this.pending.indexOf(start);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    return first;
  }

  private text(text: string, step: ParseStep): void {
    if (text.length === 0 || this.sawCall) return;
    const all = this.heldSpace + text;
    const kept = all.trimEnd();
    step.content += kept;
    this.heldSpace = all.slice(kept.length);
    if (kept.length > 0) this.atStart = false;
  }

  private closeSection(section: string, step: ParseStep): void {
    const calls = this.syntax.calls(section, this.tools);
    if (calls.length > 0) {
      this.heldSpace = '';
      this.sawCall = true;
      this.atStart = false;
      for (const call of calls) step.calls.push(toToolCall(call));
      return;
    }
    if (this.sawCall) return;
    step.content += this.heldSpace + section;
    this.heldSpace = '';
    if (section.trim().length > 0) this.atStart = false;
  }
}

class SectionToolCallParser implements ToolCallParser {
  constructor(
    readonly name: string,
    readonly syntax: ToolCallSyntax,
    private readonly sections: SectionSyntax,
  ) {}

  stream(tools: ToolSet): ToolCallStream {
    return new SectionToolCallStream(this.sections, tools);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the formats.

/** End of a section closed by `marker`: the index past it, or -1. */
function closedBy(marker: string): (buffer: string) => number {
  return (buffer) => {
    const at = buffer.indexOf(marker);
    return at < 0 ? -1 : at + marker.length;
  };
}

/** `{"name": ..., "arguments"|"parameters": {...}}` to a known tool as a call, else null. */
function jsonEnvelopeCall(value: unknown, tools: ToolSet): ParsedCall | null {
  if (!isPlainObject(value) || typeof value.name !== 'string' || !tools.has(value.name)) return null;
  const args = argumentsObject(value.arguments ?? value.parameters);
  return args === null ? null : { name: value.name, arguments: args };
}

/** A call whose name and JSON arguments were written apart (DeepSeek, Kimi, Mistral's newer form), else null. */
function namedJsonCall(name: string, argsText: string, tools: ToolSet, id?: string): ParsedCall | null {
  if (!tools.has(name)) return null;
  const json = argsText.trim().length === 0 ? { ok: true as const, value: {} } : tryJson(argsText.trim());
  if (!json.ok || !isPlainObject(json.value)) return null;
  return id === undefined ? { name, arguments: json.value } : { name, arguments: json.value, id };
}

/** The index just past the JSON object or array that starts at `from` (strings respected), or -1 if it does not close. */
export function jsonValueEnd(text: string, from: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** The `<open>...<close>` blocks inside `text`, in order; an unclosed last block is returned as far as it goes. */
function blocks(text: string, open: string, close: string): { body: string; closed: boolean }[] {
  const out: { body: string; closed: boolean }[] = [];
  let at = text.indexOf(open);
  while (at >= 0) {
    const start = at + open.length;
    const end = text.indexOf(close, start);
    if (end < 0) {
      out.push({ body: text.slice(start), closed: false });
      break;
    }
    out.push({ body: text.slice(start, end), closed: true });
    at = text.indexOf(open, end + close.length);
  }
  return out;
}

/** The calls `read` finds in each closed `open`…`close` block of a section (unreadable blocks skipped). */
function callsInClosedBlocks(
  section: string,
  open: string,
  close: string,
  read: (body: string) => ParsedCall | null,
): ParsedCall[] {
  const calls: ParsedCall[] = [];
  for (const block of blocks(section, open, close)) {
    const call = block.closed ? read(block.body) : null;
    if (call) calls.push(call);
  }
  return calls;
}

// ---------------------------------------------------------------------------------------------
// The formats.

/** Qwen 2.5/3 (SGLang `qwen`, `qwen25`): `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>` per call. */
const QWEN = new SectionToolCallParser(
  'qwen25',
  {
    trigger: '<tool_call>',
    sectionBegin: '',
    sectionEnd: '',
    callBegin: (name) => `<tool_call>\n{"name": ${JSON.stringify(name)}, "arguments": `,
    callEnd: '}\n</tool_call>',
    separator: '\n',
    arguments: 'json-envelope',
  },
  {
    starts: ['<tool_call>'],
    end: closedBy('</tool_call>'),
    calls(section, tools) {
      const body = section.slice('<tool_call>'.length).replace(/<\/tool_call>$/, '');
      const json = tryJson(body.trim());
      const call = json.ok ? jsonEnvelopeCall(json.value, tools) : null;
      return call ? [call] : [];
    },
  },
);

/**
 * Qwen3-Coder (SGLang `qwen3_coder`): `<tool_call>\n<function=NAME>\n<parameter=KEY>\nVALUE\n</parameter>
 * ...</function>\n</tool_call>`. Values are text, read as their schema type (so a number parameter
 * is a number, an object parameter an object); a parameter the schema does not know stays text.
 */
const QWEN3_CODER = new SectionToolCallParser(
  'qwen3_coder',
  {
    trigger: '<tool_call>',
    sectionBegin: '',
    sectionEnd: '',
    callBegin: (name) => `<tool_call>\n<function=${name}>\n`,
    callEnd: '</function>\n</tool_call>',
    separator: '\n',
    arguments: 'xml-parameters',
  },
  {
    starts: ['<tool_call>'],
    end: closedBy('</tool_call>'),
    calls(section, tools) {
      const calls: ParsedCall[] = [];
      for (const fn of blocks(section, '<function=', '</function>')) {
        // A function cut off by the end of the answer is not a call (its last value may be cut too).
        if (!fn.closed) continue;
        const nameEnd = fn.body.indexOf('>');
        if (nameEnd < 0) continue;
        const name = fn.body.slice(0, nameEnd).trim();
        if (!tools.has(name)) continue;
        const params = fn.body.slice(nameEnd + 1);
        const args: Record<string, unknown> = {};
        const starts = [...params.matchAll(/<parameter=/g)].map((m) => m.index);
        for (let i = 0; i < starts.length; i++) {
          const from = starts[i] + '<parameter='.length;
          const keyEnd = params.indexOf('>', from);
          if (keyEnd < 0) continue;
          const key = params.slice(from, keyEnd).trim();
          const next = i + 1 < starts.length ? starts[i + 1] : params.length;
          let value = params.slice(keyEnd + 1, next);
          const close = value.indexOf('</parameter>');
          if (close >= 0) value = value.slice(0, close);
          value = value.replace(/^\n/, '').replace(/\n$/, '');
          args[key] = typedValue(value, tools.parameterSchema(name, key), 'text');
        }
        calls.push({ name, arguments: args });
      }
      return calls;
    },
  },
);

/**
 * GLM-4.5/4.6 (SGLang `glm45`, `glm`): `<tool_call>NAME\n<arg_key>KEY</arg_key>\n<arg_value>VALUE
 * </arg_value>\n...</tool_call>`. Values are read as their schema type; a parameter the schema
 * does not type is read as JSON when it is JSON, else kept as text.
 */
const GLM45 = new SectionToolCallParser(
  'glm45',
  {
    trigger: '<tool_call>',
    sectionBegin: '',
    sectionEnd: '',
    callBegin: (name) => `<tool_call>${name}\n`,
    callEnd: '</tool_call>',
    separator: '\n',
    arguments: 'arg-key-value',
  },
  {
    starts: ['<tool_call>'],
    end: closedBy('</tool_call>'),
    calls(section, tools) {
      // A call cut off by the end of the answer is not a call (its last value may be cut too).
      if (!section.endsWith('</tool_call>')) return [];
      const body = section.slice('<tool_call>'.length, -'</tool_call>'.length);
      const firstArg = body.indexOf('<arg_key>');
      const name = (firstArg < 0 ? body : body.slice(0, firstArg)).replace(/\\n/g, '\n').trim();
      if (!tools.has(name)) return [];
      const args: Record<string, unknown> = {};
      for (const m of body.matchAll(/<arg_key>([\s\S]*?)<\/arg_key>(?:\\n|\s)*<arg_value>([\s\S]*?)<\/arg_value>/g)) {
        const key = m[1].trim();
        args[key] = typedValue(m[2], tools.parameterSchema(name, key), 'json');
      }
      return [{ name, arguments: args }];
    },
  },
);

/**
 * Llama 3.x JSON tool calls (SGLang `llama3`): `<|python_tag|>{"name": ..., "parameters": {...}}`,
 * or the bare JSON object as the whole answer; several calls separated by `;`.
 */
const LLAMA3 = new SectionToolCallParser(
  'llama3',
  {
    trigger: '<|python_tag|>',
    sectionBegin: '<|python_tag|>',
    sectionEnd: '',
    callBegin: (name) => `{"name": ${JSON.stringify(name)}, "parameters": `,
    callEnd: '}',
    separator: '; ',
    arguments: 'json-envelope',
  },
  {
    starts: ['<|python_tag|>'],
    leadingStarts: ['{'],
    end: () => -1,
    calls(section, tools) {
      const body = section.startsWith('<|python_tag|>') ? section.slice('<|python_tag|>'.length) : section;
      const trimmed = body.trim();
      if (trimmed.startsWith('[')) {
        const all = tryJson(trimmed);
        if (!all.ok || !Array.isArray(all.value)) return [];
        const calls = all.value.map((v) => jsonEnvelopeCall(v, tools));
        return calls.every((c) => c !== null) ? calls : [];
      }
      const calls: ParsedCall[] = [];
      let at = 0;
      for (;;) {
        while (at < body.length && /[\s;]/.test(body[at])) at++;
        if (at >= body.length) break;
        const end = body[at] === '{' ? jsonValueEnd(body, at) : -1;
        const json = end < 0 ? null : tryJson(body.slice(at, end));
        const call = json?.ok ? jsonEnvelopeCall(json.value, tools) : null;
        if (!call) return [];
        calls.push(call);
        at = end;
      }
      return calls;
    },
  },
);

/** DeepSeek V3/R1 (SGLang `deepseekv3`): calls inside `<｜tool▁calls▁begin｜>...<｜tool▁calls▁end｜>`, each `<｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\nARGS\n```<｜tool▁call▁end｜>`. */
const DEEPSEEK_V3 = new SectionToolCallParser(
  'deepseekv3',
  {
    trigger: '<｜tool▁calls▁begin｜>',
    sectionBegin: '<｜tool▁calls▁begin｜>',
    sectionEnd: '<｜tool▁calls▁end｜>',
    callBegin: (name) => `<｜tool▁call▁begin｜>function<｜tool▁sep｜>${name}\n\`\`\`json\n`,
    callEnd: '\n```<｜tool▁call▁end｜>',
    separator: '\n',
    arguments: 'json',
  },
  {
    starts: ['<｜tool▁calls▁begin｜>'],
    end: closedBy('<｜tool▁calls▁end｜>'),
    calls(section, tools) {
      return callsInClosedBlocks(section, '<｜tool▁call▁begin｜>', '<｜tool▁call▁end｜>', (body) => {
        const m = /^[^<]*<｜tool▁sep｜>([^\n]*)\n```json\n([\s\S]*)\n```\s*$/.exec(body);
        return m ? namedJsonCall(m[1].trim(), m[2], tools) : null;
      });
    },
  },
);

const DEEPSEEK_SEP = '<｜tool▁sep｜>';

/** DeepSeek V3.1 (SGLang `deepseekv31`): `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>NAME<｜tool▁sep｜>ARGS<｜tool▁call▁end｜>...<｜tool▁calls▁end｜>`. */
const DEEPSEEK_V31 = new SectionToolCallParser(
  'deepseekv31',
  {
    trigger: '<｜tool▁calls▁begin｜>',
    sectionBegin: '<｜tool▁calls▁begin｜>',
    sectionEnd: '<｜tool▁calls▁end｜>',
    callBegin: (name) => `<｜tool▁call▁begin｜>${name}<｜tool▁sep｜>`,
    callEnd: '<｜tool▁call▁end｜>',
    separator: '',
    arguments: 'json',
  },
  {
    starts: ['<｜tool▁calls▁begin｜>'],
    end: closedBy('<｜tool▁calls▁end｜>'),
    calls(section, tools) {
      return callsInClosedBlocks(section, '<｜tool▁call▁begin｜>', '<｜tool▁call▁end｜>', (body) => {
        const sep = body.indexOf(DEEPSEEK_SEP);
        return sep < 0 ? null : namedJsonCall(body.slice(0, sep).trim(), body.slice(sep + DEEPSEEK_SEP.length), tools);
      });
    },
  },
);

/**
 * Kimi K2 (SGLang `kimi_k2`): `<|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:IDX
 * <|tool_call_argument_begin|>ARGS<|tool_call_end|>...<|tool_calls_section_end|>`. The call keeps
 * the id the model wrote (`functions.NAME:IDX`): Kimi's template writes it back in history.
 */
const KIMI_K2 = new SectionToolCallParser(
  'kimi_k2',
  {
    trigger: '<|tool_calls_section_begin|>',
    sectionBegin: '<|tool_calls_section_begin|>',
    sectionEnd: '<|tool_calls_section_end|>',
    callBegin: (name) => `<|tool_call_begin|>functions.${name}:0<|tool_call_argument_begin|>`,
    callEnd: '<|tool_call_end|>',
    separator: '',
    arguments: 'json',
  },
  {
    starts: ['<|tool_calls_section_begin|>'],
    end: closedBy('<|tool_calls_section_end|>'),
    calls(section, tools) {
      return callsInClosedBlocks(section, '<|tool_call_begin|>', '<|tool_call_end|>', (body) => {
        const m = /^\s*((?:functions\.)?([\w.-]+):\d+)\s*<\|tool_call_argument_begin\|>([\s\S]*)$/.exec(body);
        return m ? namedJsonCall(m[2], m[3], tools, m[1]) : null;
      });
    },
  },
);

/**
 * Mistral (SGLang `mistral`): `[TOOL_CALLS] [{"name": ..., "arguments": {...}}, ...]`, and the
 * newer tokenizers' `[TOOL_CALLS]NAME[ARGS]{...}` (optionally `[CALL_ID]ID` before `[ARGS]`),
 * repeated per call. The calls run to the end of the answer.
 */
const MISTRAL = new SectionToolCallParser(
  'mistral',
  {
    trigger: '[TOOL_CALLS]',
    sectionBegin: '[TOOL_CALLS] [',
    sectionEnd: ']',
    callBegin: (name) => `{"name": ${JSON.stringify(name)}, "arguments": `,
    callEnd: '}',
    separator: ', ',
    arguments: 'json-envelope',
  },
  {
    starts: ['[TOOL_CALLS]'],
    end: () => -1,
    calls(section, tools) {
      const parts = section.split('[TOOL_CALLS]').slice(1);
      const calls: ParsedCall[] = [];
      for (const part of parts) {
        const trimmed = part.trim();
        if (trimmed.startsWith('[')) {
          const end = jsonValueEnd(trimmed, 0);
          const all = end < 0 ? null : tryJson(trimmed.slice(0, end));
          if (!all?.ok || !Array.isArray(all.value)) return [];
          for (const v of all.value) {
            const call = jsonEnvelopeCall(v, tools);
            if (!call) return [];
            calls.push(call);
          }
          continue;
        }
        const m = /^([\w.-]+)(?:\[CALL_ID\][\w-]+)?\[ARGS\]([\s\S]*)$/.exec(trimmed);
        if (!m) return [];
        const argsEnd = jsonValueEnd(m[2], m[2].indexOf('{'));
        const call = argsEnd < 0 ? null : namedJsonCall(m[1], m[2].slice(0, argsEnd), tools);
        if (!call) return [];
        calls.push(call);
      }
      return calls;
    },
  },
);

/** Pythonic (SGLang `pythonic`; Llama 3.2/4): `[get_weather(city="Paris"), ...]` as the whole answer, optionally in `<|python_start|>...<|python_end|>`. */
const PYTHONIC = new SectionToolCallParser(
  'pythonic',
  {
    trigger: '[',
    sectionBegin: '[',
    sectionEnd: ']',
    callBegin: (name) => `${name}(`,
    callEnd: ')',
    separator: ', ',
    arguments: 'python-kwargs',
  },
  {
    starts: ['<|python_start|>'],
    leadingStarts: ['['],
    end: closedBy('<|python_end|>'),
    calls(section, tools) {
      const body = section.replace(/^<\|python_start\|>/, '').replace(/<\|python_end\|>$/, '');
      const parsed = parsePythonCallList(body);
      if (!parsed || !parsed.every((c) => tools.has(c.name))) return [];
      return parsed.map((c) => ({ name: c.name, arguments: c.kwargs }));
    },
  },
);

/** The marker-delimited tool-call parsers by their SGLang names. */
export const SECTION_TOOL_CALL_PARSERS: Readonly<Record<string, ToolCallParser>> = {
  qwen: QWEN,
  qwen25: QWEN,
  qwen3_coder: QWEN3_CODER,
  glm: GLM45,
  glm45: GLM45,
  llama3: LLAMA3,
  deepseekv3: DEEPSEEK_V3,
  deepseekv31: DEEPSEEK_V31,
  kimi_k2: KIMI_K2,
  mistral: MISTRAL,
  pythonic: PYTHONIC,
};
