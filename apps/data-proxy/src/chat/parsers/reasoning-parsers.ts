import type { HistoryAdapter } from '../../tokenization/chat-template.js';

/** The recorded form of reasoning, whatever the family writes: a leading `<think>...</think>` block. */
export const THINK_START = '<think>';
export const THINK_END = '</think>';

/** One step of the reasoning split: the content so far of the reasoning block (canonical markers), and what follows it. */
export interface ReasoningStep {
  reasoning: string;
  rest: string;
}

export interface ReasoningStream {
  push(text: string): ReasoningStep;
  finish(): ReasoningStep;
}

/**
 * A reasoning format: how a family marks its reasoning. The answer's content records the reasoning
 * as a leading `<think>` block (the Responses and Messages APIs split it losslessly into their
 * reasoning items and blocks); `adaptHistory` turns that back into what the family's template
 * reads when the answer comes back as history.
 */
export interface ReasoningParser {
  readonly name: string;
  /** The content is the raw text (markers are `<think>`/`</think>` and reasoning is not forced). */
  readonly identity: boolean;
  readonly adaptHistory: HistoryAdapter | null;
  /** The start marker, when the format has one (a prompt that ends with it opened the reasoning block). */
  readonly startMarker: string | null;
  /** The end marker, when the format has one (a grammar that forces a tool call lets the block come first). */
  readonly endMarker: string | null;
  /** `opened`: the prompt already opened the reasoning block, so the answer starts inside it. */
  stream(opened: boolean): ReasoningStream;
}

/** Length of the prefix of `text` that cannot be the beginning of `marker`. */
export function safeLength(text: string, marker: string): number {
  for (let keep = Math.min(marker.length - 1, text.length); keep > 0; keep--) {
    if (marker.startsWith(text.slice(text.length - keep))) return text.length - keep;
  }
  return text.length;
}

/**
 * Reasoning between a start and an end marker, at the very start of the answer (where thinking
 * models put it; a think block later in the text is text). When the block is open from the start
 * (`forced`, SGLang's `deepseek-r1` and `qwen3-thinking`, or a prompt that ends with the start
 * marker: DeepSeek-R1's and V3.1's thinking templates), the answer starts inside it, with or
 * without repeating the start marker; the content then opens with `<think>` all the same.
 */
export class MarkerReasoningParser implements ReasoningParser {
  readonly identity: boolean;
  readonly adaptHistory: HistoryAdapter | null;

  constructor(
    readonly name: string,
    private readonly start: string,
    private readonly end: string,
    private readonly forced: boolean,
  ) {
    this.identity = !forced && start === THINK_START && end === THINK_END;
    this.adaptHistory = start === THINK_START && end === THINK_END ? null : renameThinkMarkers(start, end);
  }

  get startMarker(): string {
    return this.start;
  }

  get endMarker(): string {
    return this.end;
  }

  stream(opened: boolean): ReasoningStream {
    return new MarkerReasoningStream(this.start, this.end, this.forced || opened);
  }
}

class MarkerReasoningStream implements ReasoningStream {
  private state: 'start' | 'thinking' | 'rest' = 'start';
  private pending = '';

  constructor(
    private readonly start: string,
    private readonly end: string,
    private readonly forced: boolean,
  ) {}

  push(text: string): ReasoningStep {
    if (this.state === 'rest') return { reasoning: '', rest: text };
    this.pending += text;
    return this.run(false);
  }

  finish(): ReasoningStep {
    if (this.state === 'rest') return { reasoning: '', rest: '' };
    return this.run(true);
  }

  private run(final: boolean): ReasoningStep {
    let reasoning = '';
    if (this.state === 'start') {
      // An empty answer stays empty (no think block to open).
      if (final && this.pending.length === 0) return { reasoning: '', rest: '' };
      const undecided = this.pending.length < this.start.length && this.start.startsWith(this.pending);
      if (undecided && !final) return { reasoning: '', rest: '' };
      if (!undecided && this.pending.startsWith(this.start)) this.pending = this.pending.slice(this.start.length);
      else if (!this.forced) {
        this.state = 'rest';
        const rest = this.pending;
        this.pending = '';
        return { reasoning: '', rest };
      }
      this.state = 'thinking';
      reasoning = THINK_START;
    }
    const end = this.pending.indexOf(this.end);
    if (end >= 0) {
      reasoning += this.pending.slice(0, end) + THINK_END;
      const rest = this.pending.slice(end + this.end.length);
      this.pending = '';
      this.state = 'rest';
      return { reasoning, rest };
    }
    const release = final ? this.pending.length : safeLength(this.pending, this.end);
    reasoning += this.pending.slice(0, release);
    this.pending = this.pending.slice(release);
    return { reasoning, rest: '' };
  }
}

/**
 * History for a family whose reasoning markers are not `<think>`: a recorded assistant content
 * that opens with `<think>R</think>` goes back to the template as the family wrote it.
 */
function renameThinkMarkers(start: string, end: string): HistoryAdapter {
  return (messages) => {
    let changed = false;
    const out = messages.map((message) => {
      const m = message as Record<string, unknown>;
      if (m?.role !== 'assistant' || typeof m.content !== 'string' || !m.content.startsWith(THINK_START))
        return message;
      const close = m.content.indexOf(THINK_END, THINK_START.length);
      if (close < 0) return message;
      changed = true;
      const reasoning = m.content.slice(THINK_START.length, close);
      return { ...m, content: `${start}${reasoning}${end}${m.content.slice(close + THINK_END.length)}` };
    });
    return changed ? out : messages;
  };
}
