import type { HistoryAdapter } from '../../tokenization/chat-template.js';
import { isPlainObject, pythonJsonDumps, tryJson } from './json-values.js';
import { newToolCallId, type OutputStream, type ParseStep, type ToolCallSyntax, type ToolSet } from './parser-types.js';
import { safeLength, THINK_END, THINK_START } from './reasoning-parsers.js';

const START = '<|start|>';
const MESSAGE = '<|message|>';
const CHANNEL = '<|channel|>';
/** What ends a message body: its end tokens, or (malformed) the next message's start. */
const BODY_ENDS = ['<|end|>', '<|call|>', '<|return|>', START];
/** How the first header of an answer can begin (the prompt ended with `<|start|>assistant`). */
const HEADER_OPENINGS = [CHANNEL, START, ' to=', '<|constrain|>'];

/** gpt-oss tool calls as a grammar would write them: a commentary message to `functions.NAME`, JSON arguments, `<|call|>`. */
export const HARMONY_TOOL_CALL_SYNTAX: ToolCallSyntax = {
  trigger: '<|channel|>commentary to=functions.',
  sectionBegin: '',
  sectionEnd: '',
  callBegin: (name) => `<|channel|>commentary to=functions.${name} <|constrain|>json<|message|>`,
  callEnd: '<|call|>',
  separator: '',
  arguments: 'json',
  oneCallPerTurn: true,
};

type MessageKind = 'reasoning' | 'text' | 'call' | 'raw';

/**
 * gpt-oss answers in the harmony format: messages `<|start|>{header}<|message|>{body}<|end|>`
 * (the first one's `<|start|>assistant` is the prompt's), the last ended by the stop token
 * `<|return|>` or `<|call|>` (not in the text). The `analysis` channel is reasoning, recorded as
 * the content's leading `<think>` block; `final` and recipient-less `commentary` (a preamble) are
 * the visible text; a message to `functions.NAME` is a tool call with JSON arguments. What this
 * cannot read (an analysis after the visible text began, a call to an unknown tool, a header
 * without a body) stays in the content as the text the model wrote.
 */
export class HarmonyOutputStream implements OutputStream {
  private state: 'detect' | 'plain' | 'between' | 'header' | 'body' = 'detect';
  private pending = '';
  private think: 'none' | 'open' | 'closed' = 'none';
  private textStarted = false;
  private kind: MessageKind = 'raw';
  private recipient = '';
  /** The current message as written (header, `<|message|>`, body so far), for a message kept raw. */
  private raw = '';
  private body = '';

  constructor(
    private readonly tools: ToolSet | null,
    private readonly parseReasoning: boolean,
  ) {}

  push(text: string): ParseStep {
    this.pending += text;
    return this.run(false);
  }

  finish(): ParseStep {
    const step = this.run(true);
    if (this.state === 'header') this.emitText(step, this.raw + this.pending);
    else if (this.state === 'body') this.endMessage(step, '');
    else if (this.pending.length > 0) this.emitText(step, this.pending);
    this.pending = '';
    return step;
  }

  private run(final: boolean): ParseStep {
    const step: ParseStep = { content: '', calls: [] };
    for (;;) {
      if (this.state === 'plain') {
        step.content += this.pending;
        this.pending = '';
        return step;
      }
      if (this.state === 'detect' || this.state === 'between') {
        if (this.pending.length === 0) return step;
        const openings = this.state === 'detect' ? HEADER_OPENINGS : [START];
        if (openings.some((o) => this.pending.startsWith(o))) {
          if (this.pending.startsWith(START)) {
            this.raw = START;
            this.pending = this.pending.slice(START.length);
          } else this.raw = '';
          this.state = 'header';
          continue;
        }
        if (!final && openings.some((o) => o.startsWith(this.pending))) return step;
        if (this.state === 'detect') {
          this.state = 'plain';
          continue;
        }
        // Text between messages: kept as written, up to where a message could start again.
        const at = this.pending.indexOf(START);
        const cut = at >= 0 ? at : final ? this.pending.length : safeLength(this.pending, START);
        this.emitText(step, this.pending.slice(0, cut));
        this.pending = this.pending.slice(cut);
        if (at < 0) return step;
        continue;
      }
      if (this.state === 'header') {
        const at = this.pending.indexOf(MESSAGE);
        if (at < 0) return step;
        const header = this.pending.slice(0, at);
        this.raw += header + MESSAGE;
        this.pending = this.pending.slice(at + MESSAGE.length);
        this.beginMessage(step, header);
        this.state = 'body';
        continue;
      }
      // body
      let end = -1;
      let marker = '';
      for (const m of BODY_ENDS) {
        const at = this.pending.indexOf(m);
        if (at >= 0 && (end < 0 || at < end)) {
          end = at;
          marker = m;
        }
      }
      if (end < 0) {
        let release = this.pending.length;
        if (!final) for (const m of BODY_ENDS) release = Math.min(release, safeLength(this.pending, m));
        this.bodyText(step, this.pending.slice(0, release));
        this.pending = this.pending.slice(release);
        return step;
      }
      this.bodyText(step, this.pending.slice(0, end));
      // `<|start|>` belongs to the next message; the end tokens to this one.
      const consumed = marker === START ? '' : marker;
      this.pending = this.pending.slice(end + consumed.length);
      this.endMessage(step, consumed);
      this.state = 'between';
    }
  }

  private beginMessage(step: ParseStep, header: string): void {
    const channel = /<\|channel\|>\s*([^\s<]+)/.exec(header)?.[1] ?? '';
    this.recipient = /(?:^|\s)to=([^\s<]+)/.exec(header)?.[1] ?? '';
    this.body = '';
    if (this.recipient.startsWith('functions.') && this.tools) this.kind = 'call';
    else if (
      this.recipient === '' &&
      channel === 'analysis' &&
      this.parseReasoning &&
      !this.textStarted &&
      this.think !== 'closed'
    )
      this.kind = 'reasoning';
    else if (this.recipient === '' && (channel === 'final' || channel === 'commentary')) this.kind = 'text';
    else this.kind = 'raw';
    if (this.kind === 'reasoning') {
      step.content += this.think === 'none' ? THINK_START : '\n';
      this.think = 'open';
    } else if (this.kind === 'text') this.emitText(step, '');
  }

  private bodyText(step: ParseStep, text: string): void {
    if (text.length === 0) return;
    this.raw += text;
    if (this.kind === 'reasoning') step.content += text;
    else if (this.kind === 'text') this.emitText(step, text);
    else this.body += text;
  }

  private endMessage(step: ParseStep, marker: string): void {
    this.raw += marker;
    if (this.kind === 'call') {
      const name = this.recipient.slice('functions.'.length);
      const json = this.body.trim().length === 0 ? { ok: true as const, value: {} } : tryJson(this.body.trim());
      if (this.tools?.has(name) && json.ok && isPlainObject(json.value)) {
        this.closeThink(step);
        step.calls.push({
          id: newToolCallId(),
          type: 'function',
          function: { name, arguments: pythonJsonDumps(json.value) },
        });
      } else this.emitText(step, this.raw);
    } else if (this.kind === 'raw') this.emitText(step, this.raw);
    this.raw = '';
    this.body = '';
  }

  private closeThink(step: ParseStep): void {
    if (this.think !== 'open') return;
    step.content += THINK_END;
    this.think = 'closed';
  }

  /** Visible text (an empty string only closes the reasoning block). */
  private emitText(step: ParseStep, text: string): void {
    this.closeThink(step);
    if (this.think === 'none' && (text.length > 0 || this.textStarted)) this.think = 'closed';
    if (text.length === 0) return;
    this.textStarted = true;
    step.content += text;
  }
}

/**
 * History for gpt-oss templates: a recorded assistant content `<think>R</think>T` goes back as the
 * template reads it, `thinking: R` (the analysis channel) and `content: T`.
 */
export const harmonyHistory: HistoryAdapter = (messages) => {
  let changed = false;
  const out = messages.map((message) => {
    const m = message as Record<string, unknown>;
    if (m?.role !== 'assistant' || typeof m.content !== 'string' || !m.content.startsWith(THINK_START)) return message;
    const close = m.content.indexOf(THINK_END, THINK_START.length);
    if (close < 0) return message;
    changed = true;
    return {
      ...m,
      thinking: m.content.slice(THINK_START.length, close),
      content: m.content.slice(close + THINK_END.length),
    };
  });
  return changed ? out : messages;
};
