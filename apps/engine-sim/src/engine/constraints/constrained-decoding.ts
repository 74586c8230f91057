import type { HfTokenizer } from '@app/tokenizer';
import { mix, type Random } from '../random.js';
import type { Candidate } from '../sampler.js';
import type { CompiledConstraint } from './constraint.js';
import { ConstraintError } from './constraint-error.js';

/** The intended token's logit and how many alternatives a step offers: as the unconstrained answer plans. */
const INTENDED_LOGIT = 20;
const ALTERNATIVES = 7;
/** Longest token (in bytes) looked up; longer vocabulary entries are never needed to write a document. */
const MAX_TOKEN_BYTES = 64;
/** The model's intended answer is checked against the constraint only up to this many tokens. */
const MAX_INTENDED_TOKENS = 4096;

/**
 * The tokenizer's vocabulary by the bytes each token writes (special tokens left out: a grammar
 * never produces them), to find every token that continues a text. Built once per tokenizer, the
 * first time a constrained request arrives.
 */
export class VocabularyIndex {
  private static readonly built = new WeakMap<HfTokenizer, VocabularyIndex>();
  /** Token bytes as a latin1 string (one character per byte) → the lowest id that writes them. */
  private readonly byBytes = new Map<string, number>();

  private constructor(tokenizer: HfTokenizer) {
    for (let id = 0; id < tokenizer.vocabSize; id++) {
      if (tokenizer.specialIds.has(id)) continue;
      const bytes = tokenizer.tokenBytes(id);
      if (bytes.length === 0 || bytes.length > MAX_TOKEN_BYTES) continue;
      const key = bytes.toString('latin1');
      if (!this.byBytes.has(key)) this.byBytes.set(key, id);
    }
  }

  static of(tokenizer: HfTokenizer): VocabularyIndex {
    let index = VocabularyIndex.built.get(tokenizer);
    if (!index) {
      index = new VocabularyIndex(tokenizer);
      VocabularyIndex.built.set(tokenizer, index);
    }
    return index;
  }

  /** Tokens that write a prefix of `bytes` from `offset`, longest first, at most `limit`. */
  prefixTokens(bytes: string, offset: number, limit: number): { id: number; length: number }[] {
    const out: { id: number; length: number }[] = [];
    for (let length = Math.min(MAX_TOKEN_BYTES, bytes.length - offset); length > 0 && out.length < limit; length--) {
      const id = this.byBytes.get(bytes.substr(offset, length));
      if (id !== undefined) out.push({ id, length });
    }
    return out;
  }
}

/**
 * Constrained decoding for one request. The "model" settles on one whole output the constraint
 * accepts (its own intended answer when the constraint allows that, else a document of the
 * constraint), and every step offers only tokens that continue it: the longest as the intended
 * token, shorter ones as unlikely alternatives. So the output always matches the constraint, the
 * ids are the tokenizer's own and every log-prob is that of the distribution sampled from. When
 * the document is complete the only token left is EOS, as a grammar that has terminated allows.
 */
export class ConstrainedDecoding {
  /** Bytes of the target already written. */
  private offset = 0;
  private lastCandidates: { id: number; length: number }[] = [];

  private constructor(
    /** The whole output, as a latin1 string of its UTF-8 bytes. */
    private readonly target: string,
    private readonly vocabulary: VocabularyIndex,
    private readonly eosId: number,
  ) {}

  /**
   * Chooses the output: `intended` (the answer plan's text) if the constraint accepts it, else one
   * generated from the constraint with `random`. Throws `ConstraintError` when the vocabulary
   * cannot write it.
   */
  static create(input: {
    constraint: CompiledConstraint;
    intended: string | null;
    random: Random;
    tokenizer: HfTokenizer;
    eosId: number;
  }): ConstrainedDecoding {
    const { constraint, intended } = input;
    const text = intended !== null && constraint.accepts(intended) ? intended : constraint.generate(input.random);
    const target = Buffer.from(text, 'utf8').toString('latin1');
    const vocabulary = VocabularyIndex.of(input.tokenizer);
    for (let offset = 0; offset < target.length;) {
      const [longest] = vocabulary.prefixTokens(target, offset, 1);
      if (!longest)
        throw new ConstraintError("engine-sim cannot write the constrained output with this tokenizer's vocabulary");
      offset += longest.length;
    }
    return new ConstrainedDecoding(target, vocabulary, input.eosId);
  }

  get complete(): boolean {
    return this.offset >= this.target.length;
  }

  /** The allowed tokens at this step with their logits, intended first. */
  candidates(contextHash: number, position: number): Candidate[] {
    if (this.complete) {
      this.lastCandidates = [];
      return [{ id: this.eosId, logit: INTENDED_LOGIT }];
    }
    this.lastCandidates = this.vocabulary.prefixTokens(this.target, this.offset, ALTERNATIVES + 1);
    return this.lastCandidates.map((c, j) => ({
      id: c.id,
      logit: j === 0 ? INTENDED_LOGIT : 3 * ((mix(contextHash, position, j) >>> 8) / 0x1000000),
    }));
  }

  /** Moves past the sampled token (one of the last candidates). */
  accept(id: number): void {
    const chosen = this.lastCandidates.find((c) => c.id === id);
    if (chosen) this.offset += chosen.length;
  }
}

/** The text an answer plan means to write (up to its EOS), for the constraint to accept or not. */
export function intendedText(
  intendedAt: (position: number) => number,
  endsGeneration: (id: number) => boolean,
  tokenizer: HfTokenizer,
): string | null {
  const ids: number[] = [];
  for (let position = 0; position < MAX_INTENDED_TOKENS; position++) {
    const id = intendedAt(position);
    if (endsGeneration(id)) {
      try {
        return tokenizer.decode(ids);
      } catch {
        return null; // a vocabulary without synchronous decoding: no intent to keep
      }
    }
    ids.push(id);
  }
  return null;
}
