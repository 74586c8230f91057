import { HfTokenizer } from '@app/tokenizer';
import { ChatTemplate } from './chat-template.js';

/** The tokenizer and chat template of the served model, loaded once at startup. */
export class DataProxyModel {
  private constructor(
    readonly tokenizer: HfTokenizer,
    readonly template: ChatTemplate,
    /** Ids that end an answer: EOS and pad (the reference's stop_token_ids). */
    readonly stopTokenIds: number[],
    /** What the tokenizer adds to a text it encodes with special tokens (a BOS, for models that have one). */
    private readonly specialPrefix: number[],
  ) {}

  static async load(path: string | undefined): Promise<DataProxyModel> {
    const tokenizer = await HfTokenizer.load(path);
    const stops = [tokenizer.eosTokenId, tokenizer.padTokenId].filter((id): id is number => id !== null);
    const specialPrefix = await tokenizer.encode('', true);
    return new DataProxyModel(tokenizer, ChatTemplate.fromTokenizer(tokenizer), [...new Set(stops)], specialPrefix);
  }

  /**
   * A raw prompt's ids as vLLM's /v1/completions tokenizes it (special tokens added: a BOS where
   * the model has one), with the template's piece cache.
   */
  async encodeRawPrompt(text: string): Promise<number[]> {
    const ids = await this.template.encodeText(text);
    return this.specialPrefix.length === 0 ? ids : [...this.specialPrefix, ...ids];
  }

  isStopToken(id: number): boolean {
    return this.stopTokenIds.includes(id);
  }
}
