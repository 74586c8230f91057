import { randomBytes } from 'node:crypto';

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ParsedOutput {
  content: string;
  toolCalls: ToolCall[];
}

const THINK_START = '<think>';
const THINK_END = '</think>';
const TOOL_START = '<tool_call>';
const TOOL_END = '</tool_call>';

/** `call_` + 24 hex characters, like SGLang's ids. */
export function newToolCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

/**
 * JSON the way Python's `json.dumps(..., ensure_ascii=False)` writes it (`", "` and `": "`
 * separators), so tool-call arguments read back exactly as the model wrote them and as the
 * reference returns them.
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

/** Splits off a `<think>` block (the qwen3 reasoning parser, applied before tool-call parsing). */
export function splitReasoning(text: string): { reasoning: string; content: string } {
  if (!text.includes(THINK_START)) return { reasoning: '', content: text };
  const stripped = text.split(THINK_START).join('');
  const end = stripped.indexOf(THINK_END);
  if (end < 0) return { reasoning: THINK_START + stripped, content: '' };
  return {
    reasoning: THINK_START + stripped.slice(0, end) + THINK_END,
    content: stripped.slice(end + THINK_END.length),
  };
}

/** Parses one `<tool_call>` JSON body into a call, or null when it is not a valid call to a known tool. */
function toToolCall(json: string, toolNames: ReadonlySet<string>): ToolCall | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.trim());
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const call = parsed as Record<string, unknown>;
  if (typeof call.name !== 'string' || !toolNames.has(call.name)) return null;
  const args = call.arguments ?? call.parameters ?? {};
  return {
    id: newToolCallId(),
    type: 'function',
    function: { name: call.name, arguments: typeof args === 'string' ? args : pythonJsonDumps(args) },
  };
}

/**
 * Qwen tool calls (SGLang's Qwen25Detector) on the text after the think block: every
 * `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>` block naming a given tool becomes
 * a call; the content keeps the think block and the text before the first call. When no block
 * parses (unknown tool, bad JSON), the text is returned whole and there are no calls (the
 * reference still claimed `tool_calls` then).
 */
export function parseToolCalls(text: string, toolNames: ReadonlySet<string>): ParsedOutput {
  const { reasoning, content } = splitReasoning(text);
  const start = content.indexOf(TOOL_START);
  if (start < 0) return { content: text, toolCalls: [] };
  const calls: ToolCall[] = [];
  let cursor = start;
  while (cursor >= 0) {
    const bodyStart = cursor + TOOL_START.length;
    const end = content.indexOf(TOOL_END, bodyStart);
    const call = toToolCall(end < 0 ? content.slice(bodyStart) : content.slice(bodyStart, end), toolNames);
    if (call) calls.push(call);
    if (end < 0) break;
    cursor = content.indexOf(TOOL_START, end + TOOL_END.length);
  }
  if (calls.length === 0) return { content: text, toolCalls: [] };
  return { content: reasoning + content.slice(0, start).trim(), toolCalls: calls };
}

/**
 * The streaming counterpart: text arrives in pieces; plain text is released as soon as it cannot
 * be the start of a `<tool_call>` (outside a think block); each complete tool-call block is
 * released as a call. `finish()` flushes the rest.
 */
export class StreamingToolCallParser {
  private pending = '';
  private inThink = false;
  private sawCall = false;
  private readonly calls: ToolCall[] = [];

  constructor(private readonly toolNames: ReadonlySet<string>) {}

  get toolCalls(): readonly ToolCall[] {
    return this.calls;
  }

  /** Feeds text; returns the content that can be shown now and any calls completed. */
  push(text: string): { content: string; calls: ToolCall[] } {
    this.pending += text;
    let content = '';
    const calls: ToolCall[] = [];
    for (;;) {
      if (this.inThink) {
        const end = this.pending.indexOf(THINK_END);
        if (end < 0) {
          const safe = this.safeLength(this.pending, THINK_END);
          content += this.pending.slice(0, safe);
          this.pending = this.pending.slice(safe);
          break;
        }
        content += this.pending.slice(0, end + THINK_END.length);
        this.pending = this.pending.slice(end + THINK_END.length);
        this.inThink = false;
        continue;
      }
      const think = this.pending.indexOf(THINK_START);
      const tool = this.pending.indexOf(TOOL_START);
      if (think >= 0 && (tool < 0 || think < tool)) {
        content += this.pending.slice(0, think + THINK_START.length);
        this.pending = this.pending.slice(think + THINK_START.length);
        this.inThink = true;
        continue;
      }
      if (tool >= 0) {
        const end = this.pending.indexOf(TOOL_END, tool + TOOL_START.length);
        if (end < 0) {
          // Show the text before the call; hold the call itself until it closes.
          content += this.sawCall ? '' : this.pending.slice(0, tool).trimEnd();
          this.pending = this.pending.slice(tool);
          break;
        }
        const before = this.pending.slice(0, tool);
        const call = toToolCall(this.pending.slice(tool + TOOL_START.length, end), this.toolNames);
        if (call) {
          if (!this.sawCall) content += before.trimEnd();
          this.sawCall = true;
          this.calls.push(call);
          calls.push(call);
        } else {
          content += this.pending.slice(0, end + TOOL_END.length);
        }
        this.pending = this.pending.slice(end + TOOL_END.length);
        continue;
      }
      let safe = Math.min(this.safeLength(this.pending, TOOL_START), this.safeLength(this.pending, THINK_START));
      // Trailing whitespace waits: if a call follows, it is trimmed away as in the whole-text parse.
      while (safe > 0 && /\s/.test(this.pending[safe - 1])) safe--;
      if (!this.sawCall) content += this.pending.slice(0, safe);
      this.pending = this.pending.slice(safe);
      break;
    }
    return { content, calls };
  }

  /** Flushes what is left (an unterminated call is returned as text). */
  finish(): { content: string } {
    const rest = this.pending;
    this.pending = '';
    if (this.sawCall) return { content: '' };
    return { content: rest };
  }

  /** Length of the prefix of `text` that cannot be the beginning of `marker`. */
  private safeLength(text: string, marker: string): number {
    for (let keep = Math.min(marker.length - 1, text.length); keep > 0; keep--) {
      if (marker.startsWith(text.slice(text.length - keep))) return text.length - keep;
    }
    return text.length;
  }
}
