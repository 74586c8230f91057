import { Logger } from '@nestjs/common';
import { endOfGenerationIds, HfTokenizer, readModelFolder, tokenFamilyOf, type TokenFamily } from '@app/tokenizer';
import type { ChatMarkers } from './answer-plan.js';
import { CORPUS } from './corpus.js';
import { speakerFor, type FamilySpeaker } from './families/family-speakers.js';

/** Where echo mode finds the last user turn, per family: the text around it. */
const ECHO_MARKERS: Partial<Record<TokenFamily, { user: string; assistant: string; end: string }>> = {
  chatml: { user: '<|im_start|>user\n', assistant: '<|im_start|>assistant\n', end: '<|im_end|>' },
  llama3: {
    user: '<|start_header_id|>user<|end_header_id|>\n\n',
    assistant: '<|start_header_id|>assistant<|end_header_id|>\n\n',
    end: '<|eot_id|>',
  },
  deepseek: { user: '<｜User｜>', assistant: '<｜Assistant｜>', end: '<｜Assistant｜>' },
  harmony: { user: '<|start|>user<|message|>', assistant: '<|start|>assistant', end: '<|end|>' },
};

/**
 * Everything the engine derives from its model folder once, at startup: the tokenizer, the corpus
 * as token ids, the pool alternatives are drawn from, the ids that end a generation (EOS and the
 * generation config's, as the real engines stop on them), the family's turn markers echo mode
 * looks for, and how the family writes answers (agent mode).
 */
export class EngineModel {
  private static readonly logger = new Logger('EngineModel');

  private constructor(
    readonly tokenizer: HfTokenizer,
    readonly corpusIds: number[],
    readonly alternativePool: number[],
    readonly eosId: number,
    private readonly endIds: ReadonlySet<number>,
    readonly markers: ChatMarkers | null,
    readonly family: TokenFamily,
    readonly speaker: FamilySpeaker | null,
  ) {}

  static async load(tokenizerPath: string | undefined, chatTemplate?: string): Promise<EngineModel> {
    const tokenizer = await HfTokenizer.load(tokenizerPath);
    const folder = await readModelFolder(tokenizer, chatTemplate);
    const corpusIds = await tokenizer.encode(CORPUS);
    const pool = [...new Set(corpusIds)].filter((id) => !tokenizer.specialIds.has(id));
    const eosId = tokenizer.eosTokenId ?? tokenizer.padTokenId;
    if (eosId === null) throw new Error(`tokenizer at ${tokenizer.path} defines no eos_token`);
    const family = tokenFamilyOf(tokenizer);
    const echo = ECHO_MARKERS[family];
    const endId = echo ? tokenizer.tokenToId(echo.end) : null;
    const markers =
      echo && endId !== null
        ? {
            userHeader: await tokenizer.encode(echo.user),
            assistantHeader: await tokenizer.encode(echo.assistant),
            turnEnd: endId,
          }
        : null;
    const endIds = new Set([eosId, ...endOfGenerationIds(tokenizer, folder)]);
    EngineModel.logger.log(
      {
        tokenizer: tokenizer.path,
        encoder: tokenizer.encoder,
        family,
        template: folder.chatTemplate?.origin ?? null,
        endIds: [...endIds],
      },
      'model loaded',
    );
    return new EngineModel(tokenizer, corpusIds, pool, eosId, endIds, markers, family, speakerFor(family));
  }

  /** Whether `id` ends a generation (unless the request ignores EOS). */
  isEndOfGeneration(id: number): boolean {
    return this.endIds.has(id);
  }
}
