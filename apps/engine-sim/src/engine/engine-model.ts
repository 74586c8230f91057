import { HfTokenizer } from '@app/tokenizer';
import type { ChatMarkers } from './answer-plan.js';
import { CORPUS } from './corpus.js';

/**
 * Everything the engine derives from its tokenizer once, at startup: the tokenizer itself, the
 * corpus as token ids, the pool alternatives are drawn from, the EOS id and the ChatML markers
 * echo mode looks for.
 */
export class EngineModel {
  private constructor(
    readonly tokenizer: HfTokenizer,
    readonly corpusIds: number[],
    readonly alternativePool: number[],
    readonly eosId: number,
    readonly markers: ChatMarkers | null,
  ) {}

  static async load(tokenizerPath: string | undefined): Promise<EngineModel> {
    const tokenizer = await HfTokenizer.load(tokenizerPath);
    const corpusIds = await tokenizer.encode(CORPUS);
    const pool = [...new Set(corpusIds)].filter((id) => !tokenizer.specialIds.has(id));
    const eosId = tokenizer.eosTokenId ?? tokenizer.padTokenId;
    if (eosId === null) throw new Error(`tokenizer at ${tokenizer.path} defines no eos_token`);
    const imStart = tokenizer.tokenToId('<|im_start|>');
    const imEnd = tokenizer.tokenToId('<|im_end|>');
    const markers =
      imStart !== null && imEnd !== null
        ? {
            userHeader: await tokenizer.encode('<|im_start|>user\n'),
            assistantHeader: await tokenizer.encode('<|im_start|>assistant\n'),
            turnEnd: imEnd,
          }
        : null;
    return new EngineModel(tokenizer, corpusIds, pool, eosId, markers);
  }
}
