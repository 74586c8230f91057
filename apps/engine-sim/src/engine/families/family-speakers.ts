import type { TokenFamily } from '@app/tokenizer';

/** A function the prompt offers, with its first parameter (what the simulated call fills in). */
export interface OfferedTool {
  name: string;
  firstParam: string | null;
}

/** The last message before the generation prompt: a user's question, or a tool's result. */
export interface LastTurn {
  role: 'user' | 'tool';
  content: string;
}

/** An answer in the family's format: its text (special tokens written out) and the token that ends it. */
export interface FamilyAnswer {
  text: string;
  end: string;
}

/**
 * How one chat family writes prompts and answers, for engine-sim's agent mode: reading the
 * offered tools and the last turn out of a decoded prompt, and writing a tool call or a final
 * answer the way that family's model does (reasoning first where the family reasons).
 */
export interface FamilySpeaker {
  readonly family: TokenFamily;
  /** Null when the prompt is not in this family's format. */
  read(prompt: string): { tools: OfferedTool[]; last: LastTurn } | null;
  call(reasoning: string, tool: string, args: Record<string, unknown>): FamilyAnswer;
  final(reasoning: string, text: string): FamilyAnswer;
}

/** JSON with Python's `", "`/`": "` separators, as these families' models (and their templates) write arguments. */
function json(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(json).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${JSON.stringify(k)}: ${json(v)}`)
    .join(', ')}}`;
}

/** The JSON objects that start at the beginning of a line in `text` (tool definitions in a prompt). */
function jsonObjectsAtLineStarts(text: string): unknown[] {
  const out: unknown[] = [];
  for (let at = text.indexOf('{'); at >= 0; at = text.indexOf('{', at + 1)) {
    if (at > 0 && text[at - 1] !== '\n') continue;
    let depth = 0;
    let inString = false;
    for (let i = at; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        try {
          out.push(JSON.parse(text.slice(at, i + 1)));
        } catch {
          // not a JSON object: prose that happens to start with a brace
        }
        at = i;
        break;
      }
    }
  }
  return out;
}

/** `{"type": "function", "function": {...}}` or a bare function object, as an offered tool. */
function toolFromJson(value: unknown): OfferedTool | null {
  const obj = value as { function?: unknown; name?: unknown; parameters?: unknown } | null;
  const fn = (obj && typeof obj.function === 'object' ? obj.function : obj) as {
    name?: unknown;
    parameters?: { properties?: Record<string, unknown> };
  } | null;
  if (!fn || typeof fn.name !== 'string') return null;
  const first = Object.keys(fn.parameters?.properties ?? {})[0];
  return { name: fn.name, firstParam: first ?? null };
}

/** Qwen (ChatML): tools as JSON lines in `<tools>`, calls in `<tool_call>`, tool results in `<tool_response>`. */
const CHATML: FamilySpeaker = {
  family: 'chatml',
  read(prompt) {
    const toolsBlock = /<tools>\n([\s\S]*?)\n<\/tools>/.exec(prompt)?.[1];
    const tools = toolsBlock ? jsonObjectsAtLineStarts(toolsBlock).map(toolFromJson) : [];
    const turns = [...prompt.matchAll(/<\|im_start\|>(\w+)\n([\s\S]*?)<\|im_end\|>/g)];
    const last = turns.at(-1);
    if (!last || last[1] !== 'user') return null;
    const responses = [...last[2].matchAll(/<tool_response>\n([\s\S]*?)\n<\/tool_response>/g)];
    return {
      tools: tools.filter((t): t is OfferedTool => t !== null),
      last: responses.length > 0 ? { role: 'tool', content: responses.at(-1)![1] } : { role: 'user', content: last[2] },
    };
  },
  call: (reasoning, tool, args) => ({
    text: `<think>\n${reasoning}\n</think>\n\n<tool_call>\n${json({ name: tool, arguments: args })}\n</tool_call>`,
    end: '<|im_end|>',
  }),
  final: (reasoning, text) => ({ text: `<think>\n${reasoning}\n</think>\n\n${text}`, end: '<|im_end|>' }),
};

/** Llama 3.1: JSON tool definitions in the first user message, `<|python_tag|>` JSON calls ending with `<|eom_id|>`, results in `ipython`. */
const LLAMA3: FamilySpeaker = {
  family: 'llama3',
  read(prompt) {
    const turns = [
      ...prompt.matchAll(/<\|start_header_id\|>(\w+)<\|end_header_id\|>\n\n([\s\S]*?)<\|(?:eot|eom)_id\|>/g),
    ];
    const tools = turns
      .filter((t) => t[1] === 'user')
      .flatMap((t) => jsonObjectsAtLineStarts(t[2]).map(toolFromJson))
      .filter((t): t is OfferedTool => t !== null);
    const last = turns.at(-1);
    if (!last || (last[1] !== 'user' && last[1] !== 'ipython')) return null;
    // The first user message carries the definitions; the question is its last paragraph.
    const content = last[1] === 'user' && tools.length > 0 ? last[2].split('\n\n').at(-1)! : last[2];
    return { tools, last: { role: last[1] === 'ipython' ? 'tool' : 'user', content } };
  },
  call: (_reasoning, tool, args) => ({
    text: `<|python_tag|>${json({ name: tool, parameters: args })}`,
    end: '<|eom_id|>',
  }),
  final: (_reasoning, text) => ({ text, end: '<|eot_id|>' }),
};

/** DeepSeek V3: tools as `### NAME` + `Parameters: {...}` in the system prompt, DeepSeek's tool-call tokens, outputs after `<｜tool▁outputs▁begin｜>`. */
const DEEPSEEK: FamilySpeaker = {
  family: 'deepseek',
  read(whole) {
    // Up to the generation prompt: what follows it is this answer so far (a resubmission).
    const cut = Math.max(
      whole.lastIndexOf('<｜Assistant｜>') + '<｜Assistant｜>'.length,
      whole.lastIndexOf('<｜tool▁outputs▁end｜>') + '<｜tool▁outputs▁end｜>'.length,
    );
    const prompt = whole.slice(0, cut);
    const tools: OfferedTool[] = [];
    for (const m of prompt.matchAll(/### (\S+)\n(?:[^\n]*\n)?Parameters: (\{[^\n]*\})/g)) {
      const tool = toolFromJson({ name: m[1], parameters: JSON.parse(m[2]) as unknown });
      if (tool) tools.push(tool);
    }
    const outputs = /<｜tool▁outputs▁begin｜>([\s\S]*)<｜tool▁outputs▁end｜>$/.exec(prompt);
    if (outputs) {
      const results = [...outputs[1].matchAll(/<｜tool▁output▁begin｜>([\s\S]*?)<｜tool▁output▁end｜>/g)];
      return results.length > 0 ? { tools, last: { role: 'tool', content: results.at(-1)![1] } } : null;
    }
    const question = /<｜User｜>((?:(?!<｜User｜>)[\s\S])*)<｜Assistant｜>$/.exec(prompt);
    return question ? { tools, last: { role: 'user', content: question[1] } } : null;
  },
  call: (_reasoning, tool, args) => ({
    text: `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>${tool}\n\`\`\`json\n${json(args)}\n\`\`\`<｜tool▁call▁end｜><｜tool▁calls▁end｜>`,
    end: '<｜end▁of▁sentence｜>',
  }),
  final: (_reasoning, text) => ({ text, end: '<｜end▁of▁sentence｜>' }),
};

/** gpt-oss (harmony): tools as a TypeScript namespace, analysis then a commentary call ending with `<|call|>`, or a final answer ending with `<|return|>`. */
const HARMONY: FamilySpeaker = {
  family: 'harmony',
  read(prompt) {
    const tools: OfferedTool[] = [];
    for (const m of prompt.matchAll(/type (\w+) = \((?:_: \{\n(?:\/\/[^\n]*\n)*(\w+)\??:)?/g))
      tools.push({ name: m[1], firstParam: m[2] ?? null });
    const messages = [...prompt.matchAll(/<\|start\|>([^<]*)(?:<\|channel\|>[^<]*)?<\|message\|>([\s\S]*?)<\|end\|>/g)];
    // The assistant's own messages after the last user or tool message are this answer so far (a resubmission).
    const last = messages.findLast((m) => !m[1].trim().startsWith('assistant'));
    if (!last) return null;
    const role = last[1].trim();
    if (role === 'user') return { tools, last: { role: 'user', content: last[2] } };
    if (role.startsWith('functions.')) return { tools, last: { role: 'tool', content: last[2] } };
    return null;
  },
  call: (reasoning, tool, args) => ({
    text: `<|channel|>analysis<|message|>${reasoning}<|end|><|start|>assistant<|channel|>commentary to=functions.${tool} <|constrain|>json<|message|>${json(args)}`,
    end: '<|call|>',
  }),
  final: (reasoning, text) => ({
    text: `<|channel|>analysis<|message|>${reasoning}<|end|><|start|>assistant<|channel|>final<|message|>${text}`,
    end: '<|return|>',
  }),
};

const SPEAKERS: Partial<Record<TokenFamily, FamilySpeaker>> = {
  chatml: CHATML,
  llama3: LLAMA3,
  deepseek: DEEPSEEK,
  harmony: HARMONY,
};

export function speakerFor(family: TokenFamily): FamilySpeaker | null {
  return SPEAKERS[family] ?? null;
}

/**
 * What a tool-using model says next, deterministically: after a user's question, a call to the
 * first offered tool with the question as its first parameter (reasoning "The user asks: ...");
 * after a tool's result, a final answer quoting it. Null when the prompt offers no tools or
 * cannot be read (the engine then answers as in echo mode).
 */
export function agentAnswer(speaker: FamilySpeaker, prompt: string): FamilyAnswer | null {
  const reading = speaker.read(prompt);
  if (!reading || reading.tools.length === 0) return null;
  const { last, tools } = reading;
  if (last.role === 'tool') return speaker.final('The tool answered.', `The tool says: ${last.content}`);
  const tool = tools[0];
  return speaker.call(
    `The user asks: ${last.content}`,
    tool.name,
    tool.firstParam === null ? {} : { [tool.firstParam]: last.content },
  );
}
