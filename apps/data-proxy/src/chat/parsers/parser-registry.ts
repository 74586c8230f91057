import type { REASONING_PARSERS, TOOL_CALL_PARSERS } from '@app/common';
import type { TokenFamily } from '@app/tokenizer';
import { OutputParser } from '../output-parser.js';
import { MarkerReasoningParser, THINK_END, THINK_START, type ReasoningParser } from './reasoning-parsers.js';
import { SECTION_TOOL_CALL_PARSERS } from './tool-call-parsers.js';

export type ToolCallParserName = (typeof TOOL_CALL_PARSERS)[number];
export type ReasoningParserName = (typeof REASONING_PARSERS)[number];

const REASONING: Record<Exclude<ReasoningParserName, 'auto' | 'none' | 'gpt-oss'>, ReasoningParser> = {
  qwen3: new MarkerReasoningParser('qwen3', THINK_START, THINK_END, false),
  'qwen3-thinking': new MarkerReasoningParser('qwen3-thinking', THINK_START, THINK_END, true),
  'deepseek-r1': new MarkerReasoningParser('deepseek-r1', THINK_START, THINK_END, true),
  'deepseek-v3': new MarkerReasoningParser('deepseek-v3', THINK_START, THINK_END, false),
  glm45: new MarkerReasoningParser('glm45', THINK_START, THINK_END, false),
  kimi: new MarkerReasoningParser('kimi', '◁think▷', '◁/think▷', false),
  kimi_k2: new MarkerReasoningParser('kimi_k2', THINK_START, THINK_END, false),
  step3: new MarkerReasoningParser('step3', THINK_START, THINK_END, true),
};

/** What the model folder says, for `auto`. */
export interface ModelSignals {
  /** `config.json`'s `model_type`. */
  modelType: string | null;
  /** The chat template's source. */
  template: string | null;
  family: TokenFamily;
  /** Whether the vocabulary has this token. */
  hasToken(token: string): boolean;
}

/** A parser `auto` chose, and why (said in the startup log). */
export interface AutoChoice<N> {
  name: N;
  reason: string;
}

const MODEL_TYPE_TOOLS: Record<string, ToolCallParserName> = {
  gpt_oss: 'gpt-oss',
  deepseek_v3: 'deepseekv3',
  deepseek_v32: 'deepseekv31',
  glm4_moe: 'glm45',
  kimi_k2: 'kimi_k2',
  llama: 'llama3',
  llama4: 'pythonic',
  mistral: 'mistral',
  mistral3: 'mistral',
  qwen2: 'qwen25',
  qwen2_moe: 'qwen25',
  qwen3: 'qwen25',
  qwen3_moe: 'qwen25',
};

/**
 * `--tool-call-parser auto`: the format the template writes tool calls in (its markers name the
 * family, and tell DeepSeek V3 from V3.1, Qwen3-Coder and GLM from Qwen), else the model type,
 * else the vocabulary's special tokens; `none` when nothing is known.
 */
export function autoToolCallParser(s: ModelSignals): AutoChoice<ToolCallParserName> {
  const t = s.template ?? '';
  const markers: [boolean, ToolCallParserName, string][] = [
    [t.includes('<|channel|>'), 'gpt-oss', 'template writes harmony channels'],
    [
      t.includes('<｜tool▁calls▁begin｜>') && (t.includes('function<｜tool▁sep｜>') || t.includes('```json')),
      'deepseekv3',
      'template writes DeepSeek V3 calls (function<｜tool▁sep｜>name, ```json)',
    ],
    [
      t.includes('<｜tool▁calls▁begin｜>'),
      'deepseekv31',
      'template writes DeepSeek V3.1 calls (name<｜tool▁sep｜>json)',
    ],
    [t.includes('<|tool_calls_section_begin|>'), 'kimi_k2', 'template writes Kimi K2 tool-call sections'],
    [t.includes('<arg_key>'), 'glm45', 'template writes GLM <arg_key>/<arg_value> calls'],
    [t.includes('<function='), 'qwen3_coder', 'template writes Qwen3-Coder <function=...> calls'],
    [t.includes('<tool_call>'), 'qwen25', 'template writes <tool_call> JSON calls'],
    [t.includes('<|python_tag|>'), 'llama3', 'template writes Llama 3 <|python_tag|> JSON calls'],
    [t.includes('[TOOL_CALLS]'), 'mistral', 'template writes Mistral [TOOL_CALLS]'],
    [t.includes('<|python_start|>'), 'pythonic', 'template writes pythonic calls'],
  ];
  for (const [matches, name, reason] of markers) if (matches) return { name, reason };
  if (s.modelType && s.modelType in MODEL_TYPE_TOOLS)
    return { name: MODEL_TYPE_TOOLS[s.modelType], reason: `config.json model_type ${s.modelType}` };
  if (s.family === 'harmony') return { name: 'gpt-oss', reason: 'vocabulary has the harmony tokens' };
  if (s.hasToken('<｜tool▁calls▁begin｜>'))
    return { name: 'deepseekv3', reason: 'vocabulary has DeepSeek tool-call tokens' };
  if (s.family === 'llama3') return { name: 'llama3', reason: 'vocabulary is Llama 3' };
  if (s.hasToken('<tool_call>')) return { name: 'qwen25', reason: 'vocabulary has <tool_call>' };
  return { name: 'none', reason: 'no known tool-call format in the template, model type or vocabulary' };
}

/**
 * `--reasoning-parser auto`: harmony for gpt-oss; `◁think▷` for Kimi's thinking models; `<think>`
 * when the template or vocabulary knows it (named for the family: `deepseek-v3`, `glm45`,
 * `kimi_k2`, else `qwen3`; a template that opens the block in the prompt is handled per turn);
 * else `none`.
 */
export function autoReasoningParser(s: ModelSignals): AutoChoice<ReasoningParserName> {
  const t = s.template ?? '';
  if (s.family === 'harmony' || t.includes('<|channel|>'))
    return { name: 'gpt-oss', reason: 'harmony analysis channel' };
  if (t.includes('◁think▷') || s.hasToken('◁think▷')) return { name: 'kimi', reason: '◁think▷ markers' };
  if (t.includes(THINK_END) || s.hasToken(THINK_END)) {
    const name: ReasoningParserName =
      s.family === 'deepseek'
        ? 'deepseek-v3'
        : s.modelType === 'glm4_moe' || t.includes('<arg_key>')
          ? 'glm45'
          : s.modelType === 'kimi_k2' || t.includes('<|tool_calls_section_begin|>')
            ? 'kimi_k2'
            : 'qwen3';
    return { name, reason: `<think> markers in the ${t.includes(THINK_END) ? 'template' : 'vocabulary'}` };
  }
  return { name: 'none', reason: 'no reasoning markers in the template or vocabulary' };
}

/** The output parser for a pair of (resolved) names. */
export function outputParserFor(tools: ToolCallParserName, reasoning: ReasoningParserName): OutputParser {
  if (tools === 'auto' || reasoning === 'auto') throw new Error('resolve auto before building the parser');
  if (tools === 'gpt-oss' || reasoning === 'gpt-oss')
    return OutputParser.harmony(reasoning === 'gpt-oss', tools === 'gpt-oss');
  return OutputParser.of(
    reasoning === 'none' ? null : REASONING[reasoning],
    tools === 'none' ? null : SECTION_TOOL_CALL_PARSERS[tools],
  );
}
