import { HfTokenizer } from '@app/tokenizer';
import { ChatTemplate } from './chat-template.js';

/** The tokenizer and chat template of the served model, loaded once at startup. */
export class DataProxyModel {
  private constructor(
    readonly tokenizer: HfTokenizer,
    readonly template: ChatTemplate,
    /** Ids that end an answer: EOS and pad (the reference's stop_token_ids). */
    readonly stopTokenIds: number[],
  ) {}

  static async load(path: string | undefined): Promise<DataProxyModel> {
    const tokenizer = await HfTokenizer.load(path);
    const stops = [tokenizer.eosTokenId, tokenizer.padTokenId].filter((id): id is number => id !== null);
    return new DataProxyModel(tokenizer, ChatTemplate.fromTokenizer(tokenizer), [...new Set(stops)]);
  }

  isStopToken(id: number): boolean {
    return this.stopTokenIds.includes(id);
  }
}
