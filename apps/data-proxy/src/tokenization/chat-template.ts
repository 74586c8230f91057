import { Template } from '@huggingface/jinja';
import { SegmentEncodingCache, type HfTokenizer } from '@app/tokenizer';

export interface RenderInput {
  messages: unknown[];
  tools: unknown[] | null;
  /** `chat_template_kwargs` of the request, e.g. `{ enable_thinking: false }`. */
  kwargs: Record<string, unknown>;
}

/**
 * The model's own chat template (`tokenizer_config.json`), rendered with `@huggingface/jinja` as
 * `transformers.apply_chat_template(..., add_generation_prompt=True)` does, then tokenized without
 * adding special tokens (the template already wrote them).
 */
export class ChatTemplate {
  private readonly template: Template;
  /** Prompt pieces between special tokens, encoded once (system prompts and history repeat every turn). */
  private readonly pieces: SegmentEncodingCache;

  constructor(
    private readonly tokenizer: HfTokenizer,
    source: string,
  ) {
    this.template = new Template(source);
    const specials = [...tokenizer.specialIds]
      .map((id) => tokenizer.idToToken(id))
      .filter((t): t is string => t !== null);
    this.pieces = new SegmentEncodingCache(tokenizer, specials);
  }

  static fromTokenizer(tokenizer: HfTokenizer): ChatTemplate {
    if (!tokenizer.chatTemplate) throw new Error(`tokenizer at ${tokenizer.path} has no chat_template`);
    return new ChatTemplate(tokenizer, tokenizer.chatTemplate);
  }

  render(input: RenderInput): string {
    const context: Record<string, unknown> = {
      ...input.kwargs,
      messages: input.messages,
      add_generation_prompt: true,
      bos_token: '',
      eos_token: this.tokenizer.eosTokenId === null ? '' : (this.tokenizer.idToToken(this.tokenizer.eosTokenId) ?? ''),
    };
    if (input.tools && input.tools.length > 0) context.tools = input.tools;
    return this.template.render(context);
  }

  async encode(input: RenderInput): Promise<number[]> {
    return this.pieces.encode(this.render(input));
  }

  /**
   * Text that is not templated (a raw completions prompt), through the same piece cache: an agent
   * that resends its growing transcript pays only for the new pieces.
   */
  encodeText(text: string): Promise<number[]> {
    return this.pieces.encode(text);
  }
}
