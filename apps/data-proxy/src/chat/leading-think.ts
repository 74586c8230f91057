const THINK_START = '<think>';
const THINK_END = '</think>';

/**
 * The Responses and Messages APIs answer a thinking model's reasoning as its own item/block. The
 * split is lossless: `<think>` + reasoning + `</think>` + text is the answer's content again, so the
 * items an agent sends back next turn convert to exactly the recorded assistant message. Only a
 * think block at the very start counts (where Qwen3-style models put it).
 */
export function splitLeadingThink(content: string): { reasoning: string | null; text: string } {
  if (!content.startsWith(THINK_START)) return { reasoning: null, text: content };
  const end = content.indexOf(THINK_END, THINK_START.length);
  if (end < 0) return { reasoning: content.slice(THINK_START.length), text: '' };
  return { reasoning: content.slice(THINK_START.length, end), text: content.slice(end + THINK_END.length) };
}

/** The assistant content a reasoning text and a visible text came from (the inverse of `splitLeadingThink`). */
export function joinLeadingThink(reasoning: string | null, text: string): string {
  return reasoning === null ? text : `${THINK_START}${reasoning}${THINK_END}${text}`;
}

/** What a `LeadingThinkSplitter` reports, in order: the think block opening, its text, then the visible text. */
export interface ThinkHandler {
  reasoningStart(): void;
  reasoning(delta: string): void;
  text(delta: string): void;
}

/**
 * `splitLeadingThink` for a stream: text arrives in pieces; the start is held until it is clear
 * whether it opens a think block, and inside one only what could begin `</think>` is held.
 */
export class LeadingThinkSplitter {
  private state: 'start' | 'thinking' | 'text' = 'start';
  private pending = '';

  constructor(private readonly handler: ThinkHandler) {}

  push(piece: string): void {
    if (this.state === 'text') return this.handler.text(piece);
    this.pending += piece;
    if (this.state === 'start') {
      if (this.pending.length < THINK_START.length && THINK_START.startsWith(this.pending)) return;
      if (!this.pending.startsWith(THINK_START)) return this.toText('');
      this.state = 'thinking';
      this.pending = this.pending.slice(THINK_START.length);
      this.handler.reasoningStart();
    }
    const end = this.pending.indexOf(THINK_END);
    if (end >= 0) {
      const reasoning = this.pending.slice(0, end);
      if (reasoning.length > 0) this.handler.reasoning(reasoning);
      return this.toText(this.pending.slice(end + THINK_END.length));
    }
    let keep = Math.min(THINK_END.length - 1, this.pending.length);
    while (keep > 0 && !THINK_END.startsWith(this.pending.slice(this.pending.length - keep))) keep--;
    const release = this.pending.slice(0, this.pending.length - keep);
    this.pending = this.pending.slice(this.pending.length - keep);
    if (release.length > 0) this.handler.reasoning(release);
  }

  /** Flushes what is held: an unfinished think block stays reasoning, a short start is text. */
  finish(): void {
    if (this.pending.length === 0) return;
    if (this.state === 'thinking') {
      this.handler.reasoning(this.pending);
      this.pending = '';
    } else this.toText('');
  }

  private toText(rest: string): void {
    const text = this.state === 'start' ? this.pending : rest;
    this.state = 'text';
    this.pending = '';
    if (text.length > 0) this.handler.text(text);
  }
}
