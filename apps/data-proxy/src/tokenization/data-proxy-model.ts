import { Logger } from '@nestjs/common';
import { endOfGenerationIds, HfTokenizer, readModelFolder, tokenFamilyOf, type TokenFamily } from '@app/tokenizer';
import type { PromptIds } from '../inference/engine-backend.js';
import type { OutputParser } from '../chat/output-parser.js';
import {
  autoReasoningParser,
  autoToolCallParser,
  outputParserFor,
  type ReasoningParserName,
  type ToolCallParserName,
} from '../chat/parsers/parser-registry.js';
import { ChatTemplate } from './chat-template.js';
import { TurnBoundaries } from './turn-boundaries.js';

export interface ModelSettings {
  tokenizerPath?: string;
  /** A template file that replaces the folder's (`--chat-template`). */
  chatTemplate?: string;
  toolCallParser: ToolCallParserName;
  reasoningParser: ReasoningParserName;
  /** `--incremental-templating` (default on): false renders every prompt in full. */
  incrementalTemplating?: boolean;
}

/** The parsers each family's answers need (to warn when the flags disagree with the folder). */
const FAMILY_PARSERS: Partial<Record<TokenFamily, { tools: ToolCallParserName[]; reasoning: ReasoningParserName[] }>> =
  {
    harmony: { tools: ['gpt-oss', 'none'], reasoning: ['gpt-oss', 'none'] },
    llama3: { tools: ['llama3', 'pythonic', 'none'], reasoning: ['none', 'qwen3'] },
    deepseek: {
      tools: ['deepseekv3', 'deepseekv31', 'none'],
      reasoning: ['deepseek-r1', 'deepseek-v3', 'qwen3', 'none'],
    },
  };

/**
 * The served model, loaded once at startup: its tokenizer, chat template, the ids that end a
 * generation, where its turns end (concat mode), and how its answers are read (the parsers the
 * flags name, or `auto`'s choice from the folder, logged either way).
 */
export class DataProxyModel {
  private static readonly logger = new Logger('DataProxyModel');

  private constructor(
    readonly tokenizer: HfTokenizer,
    readonly template: ChatTemplate,
    readonly family: TokenFamily,
    /** Ids that end an answer: EOS and pad (the reference's stop_token_ids), the generation config's and the family's. */
    readonly stopTokenIds: number[],
    readonly turnBoundaries: TurnBoundaries | null,
    readonly output: OutputParser,
    /** What the tokenizer adds to a text it encodes with special tokens (a BOS, for models that have one). */
    private readonly specialPrefix: number[],
    /** The reasoning start marker and how many tokens it takes: a prompt that ends with it opened the reasoning block. */
    private readonly reasoningOpener: { marker: string; tokens: number } | null,
  ) {}

  static async load(settings: ModelSettings | string | undefined): Promise<DataProxyModel> {
    const s: ModelSettings =
      typeof settings === 'object'
        ? settings
        : { tokenizerPath: settings, toolCallParser: 'qwen', reasoningParser: 'qwen3' };
    const tokenizer = await HfTokenizer.load(s.tokenizerPath);
    const folder = await readModelFolder(tokenizer, s.chatTemplate);
    if (!folder.chatTemplate)
      throw new Error(
        `no chat template for ${tokenizer.path}: give --chat-template, or a folder with chat_template.jinja or tokenizer_config.json's chat_template`,
      );
    const family = tokenFamilyOf(tokenizer);
    const signals = {
      modelType: folder.modelType,
      template: folder.chatTemplate.source,
      family,
      hasToken: (token: string) => tokenizer.tokenToId(token) !== null,
    };
    let tools = s.toolCallParser;
    let reasoning = s.reasoningParser;
    if (tools === 'auto') {
      const choice = autoToolCallParser(signals);
      tools = choice.name;
      DataProxyModel.logger.log(
        { parser: tools, reason: choice.reason },
        tools === 'none'
          ? `--tool-call-parser auto chose none (fell back: ${choice.reason}); tool calls are not parsed`
          : `--tool-call-parser auto chose ${tools}`,
      );
    }
    if (reasoning === 'auto') {
      const choice = autoReasoningParser(signals);
      reasoning = choice.name;
      DataProxyModel.logger.log(
        { parser: reasoning, reason: choice.reason },
        reasoning === 'none'
          ? `--reasoning-parser auto chose none (fell back: ${choice.reason}); answers are kept as generated`
          : `--reasoning-parser auto chose ${reasoning}`,
      );
    }
    const expected = FAMILY_PARSERS[family];
    if (expected && (!expected.tools.includes(tools) || !expected.reasoning.includes(reasoning)))
      DataProxyModel.logger.warn(
        { family, toolCallParser: tools, reasoningParser: reasoning },
        `the tokenizer is ${family}, but the parsers are ${tools}/${reasoning}: answers may keep their markup (--tool-call-parser auto --reasoning-parser auto choose from the folder)`,
      );
    const output = outputParserFor(tools, reasoning);
    const template = new ChatTemplate(tokenizer, folder.chatTemplate.source, output.historyAdapter, {
      incremental: s.incrementalTemplating !== false,
    });
    DataProxyModel.logger.log(
      {
        tokenizer: tokenizer.path,
        encoder: tokenizer.encoder,
        family,
        template: folder.chatTemplate.origin,
        templatePath: folder.chatTemplate.path,
        toolCallParser: tools,
        reasoningParser: reasoning,
      },
      'model loaded',
    );
    const start = output.reasoningStart;
    const opener = start === null ? null : { marker: start, tokens: (await tokenizer.encode(start)).length };
    return new DataProxyModel(
      tokenizer,
      template,
      family,
      endOfGenerationIds(tokenizer, folder),
      TurnBoundaries.of(tokenizer, family),
      output,
      await tokenizer.encode('', true),
      opener,
    );
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

  /**
   * Whether the prompt ends inside an opened reasoning block (the template wrote the start marker
   * after the assistant header, as DeepSeek-R1's and V3.1's thinking templates do): the answer
   * then starts with reasoning. Whitespace after the marker counts as inside.
   */
  opensReasoning(promptIds: PromptIds): boolean {
    const opener = this.reasoningOpener;
    if (!opener || promptIds.length === 0) return false;
    // The marker, and a little whitespace the template may write after it.
    const tail = Array.from(promptIds.slice(Math.max(0, promptIds.length - opener.tokens - 2)));
    let text: string;
    try {
      text = this.tokenizer.decode(tail);
    } catch {
      return false;
    }
    return text.trimEnd().endsWith(opener.marker);
  }
}
