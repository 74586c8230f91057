import { Logger } from '@nestjs/common';
import { Template } from '@huggingface/jinja';
import { SegmentEncodingCache, type HfTokenizer } from '@app/tokenizer';
import { decodeToolCallArguments } from '../chat/chat-request.js';
import type { PromptIds } from '../inference/engine-backend.js';
import { compileTemplate, type CompiledTemplate } from './jinja/compile.js';
import { PromptContinuations, type IdChunks, type RenderContinuation } from './prompt-continuations.js';

export interface RenderInput {
  messages: unknown[];
  tools: unknown[] | null;
  /** `chat_template_kwargs` of the request, e.g. `{ enable_thinking: false }`. */
  kwargs: Record<string, unknown>;
}

/**
 * Turns recorded messages into what the template expects of a past assistant turn (a reasoning
 * format whose answers we record as a leading `<think>` block but whose template reads, say, a
 * `thinking` field). Returns the input itself when nothing changes.
 */
export type HistoryAdapter = (messages: unknown[]) => unknown[];

/**
 * Whether a template reads tool-call `arguments` as a mapping (`| tojson`, `| items`, `.items()`,
 * `is mapping`, `is string` checks): then it gets them decoded, as AReaL 2.0 passes them. Templates
 * that only concatenate `arguments` (DeepSeek V3's) need the JSON string the answer carried.
 */
export function templateReadsArgumentObjects(source: string): boolean {
  return /arguments['"]?\]?\s*(\|\s*(tojson|items|dictsort)|is\s+(not\s+)?(string|mapping)|\.items\(\))/.test(source);
}

/**
 * The model's chat template, rendered with `@huggingface/jinja` as
 * `transformers.apply_chat_template(..., add_generation_prompt=True)` does (trim_blocks and
 * lstrip_blocks, `raise_exception`, `strftime_now`, `tojson` with Python's separators, the special
 * tokens' texts as `bos_token`/`eos_token`/...), then tokenized without adding special tokens (the
 * template already wrote them).
 */
export class ChatTemplate {
  private static readonly logger = new Logger('ChatTemplate');
  private readonly template: Template;
  /**
   * The template compiled to closures (jinja/compile.ts): the interpreter's text, many times
   * faster. Null when the template uses something the compiler does not mirror; a render it
   * cannot vouch for throws and is done by the interpreter.
   */
  private readonly compiled: CompiledTemplate | null;
  /** Renders the interpreter did (a template or a value the compiler does not mirror). */
  interpreterRenders = 0;
  /** Prompt pieces between special tokens, encoded once (system prompts and history repeat every turn). */
  private readonly pieces: SegmentEncodingCache;
  private readonly specialContext: Record<string, string>;
  readonly decodesArguments: boolean;
  /** Whether the template knows OpenAI's `developer` role; if not, it renders developer messages as system ones. */
  private readonly rendersDeveloper: boolean;
  /** Incremental templating of a conversation's next prompt (prompt-continuations.ts). */
  readonly continuations: PromptContinuations;
  private readonly incremental: boolean;

  /** `compile: false` renders with the interpreter only (the reference the compiled renders are tested against). */
  constructor(
    private readonly tokenizer: HfTokenizer,
    readonly source: string,
    private readonly adaptHistory: HistoryAdapter | null = null,
    /**
     * `compile: false`: always the interpreter. `incremental: false`: every prompt rendered in
     * full, never continued from a kept one (`--no-incremental-templating`).
     */
    options: { compile?: boolean; incremental?: boolean } = {},
  ) {
    this.incremental = options.incremental !== false;
    this.template = new Template(source);
    this.rendersDeveloper = /["']developer["']/.test(source);
    const compiled = options.compile === false ? null : compileTemplate(this.template.parsed);
    if (compiled === null) this.compiled = null;
    else if (typeof compiled === 'function') this.compiled = compiled;
    else {
      this.compiled = null;
      ChatTemplate.logger.warn(
        { unsupported: compiled.unsupported },
        `the chat template uses ${compiled.unsupported}, which the template compiler does not mirror: it is interpreted (slower)`,
      );
    }
    const specials = [...tokenizer.specialIds]
      .map((id) => tokenizer.idToToken(id))
      .filter((t): t is string => t !== null);
    this.pieces = new SegmentEncodingCache(tokenizer, specials);
    this.specialContext = {};
    const { bos, eos, pad, unk } = tokenizer.specialTokens;
    if (bos !== null) this.specialContext.bos_token = bos;
    if (eos !== null) this.specialContext.eos_token = eos;
    if (pad !== null) this.specialContext.pad_token = pad;
    if (unk !== null) this.specialContext.unk_token = unk;
    this.decodesArguments = templateReadsArgumentObjects(source);
    this.continuations = new PromptContinuations(
      (messages, inputs, addGenerationPrompt) => this.render({ ...inputs, messages }, addGenerationPrompt),
      this.pieces,
    );
  }

  /** `addGenerationPrompt: false` renders the conversation as history (what a next prompt begins with). */
  render(input: RenderInput, addGenerationPrompt = true): string {
    let messages = this.decodesArguments ? decodeToolCallArguments(input.messages) : input.messages;
    if (this.adaptHistory) messages = this.adaptHistory(messages);
    if (!this.rendersDeveloper) messages = developerAsSystem(messages);
    const context: Record<string, unknown> = {
      ...this.specialContext,
      ...input.kwargs,
      messages,
      // transformers passes tools=None when there are none: `tools is not none` must be false then.
      tools: input.tools && input.tools.length > 0 ? input.tools : null,
      add_generation_prompt: addGenerationPrompt,
    };
    if (this.compiled) {
      try {
        return this.compiled(context);
      } catch {
        // A value the compiler does not mirror, or the template's own error: the interpreter decides.
      }
    }
    this.interpreterRenders++;
    return this.template.render(context);
  }

  /**
   * The rendered prompt's ids. `conversation` (a stable key such as the session id): the prompt is
   * the next one of that conversation, so the ids of what it shares with the previous one up to
   * that one's last special token are reused (SegmentEncodingCache.encodeContinuing).
   * `continuation`: the prompt continues the one kept under `continuation.from` (its messages
   * begin with that one's), so only its new messages are rendered and encoded where the template
   * was found prefix-stable for them (PromptContinuations); the ids are the same either way.
   */
  async encode(input: RenderInput, conversation?: string, continuation?: RenderContinuation): Promise<PromptIds> {
    const full = this.fullEncode(input, conversation);
    return continuation === undefined || !this.incremental
      ? full()
      : this.continuations.encode(input.messages, input, continuation, full);
  }

  /**
   * `encode`'s ids as the chunks a continued prompt is built from, not joined: for a caller that
   * reads only the end of a long prompt (`concat` looks there for the new messages' ids).
   */
  async encodeParts(input: RenderInput, conversation?: string, continuation?: RenderContinuation): Promise<IdChunks> {
    const full = this.fullEncode(input, conversation);
    if (continuation !== undefined && this.incremental)
      return this.continuations.encodeParts(input.messages, input, continuation, full);
    const ids = await full();
    return { chunks: [ids], length: ids.length };
  }

  /** Render the whole conversation and encode it (continuing `conversation`'s pieces when given). */
  private fullEncode(input: RenderInput, conversation: string | undefined): () => Promise<number[]> {
    return async () => {
      const text = this.render(input);
      return conversation === undefined ? this.pieces.encode(text) : this.pieces.encodeContinuing(text, conversation);
    };
  }

  /**
   * Text that is not templated (a raw completions prompt), through the same piece cache: an agent
   * that resends its growing transcript pays only for the new pieces.
   */
  encodeText(text: string): Promise<number[]> {
    return this.pieces.encode(text);
  }
}

/**
 * OpenAI's developer messages are its system messages; a template without that role would skip
 * them silently (Qwen's renders only the roles it knows). Returns the input when there are none.
 */
function developerAsSystem(messages: unknown[]): unknown[] {
  if (!messages.some((m) => (m as { role?: unknown }).role === 'developer')) return messages;
  return messages.map((m) =>
    (m as { role?: unknown }).role === 'developer' ? { ...(m as object), role: 'system' } : m,
  );
}
