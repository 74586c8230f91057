/**
 * Seeded random agent conversations, grown turn by turn as an agent grows them: a system prompt
 * or not, a first question, then assistant turns (plain answers, answers with a leading think
 * block or `reasoning_content`, tool calls with JSON arguments) followed by tool results or a new
 * user message. Text mixes words, digits, punctuation, newlines, other scripts and emoji. For
 * tests that compare two ways of templating or tokenizing the same conversations.
 */

/** A small seeded generator (LCG): the same seed gives the same conversations. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  next(): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    return this.state / 2 ** 32;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

const WORDS = [
  'the',
  'agent',
  'reads',
  'file',
  'runs',
  'tests',
  'edits',
  'function',
  'Output',
  "don't",
  "it's",
  'HTTP/1.1',
  '42',
  '3.14159',
  '-7',
  'naïve',
  'café',
  'Straße',
  '東京',
  'データ',
  'Привет',
  'مرحبا',
  '😀',
  '👍🏽',
  '{"a": 1}',
  '[1, 2]',
  'x = f(y)',
  '```',
  '->',
  '...',
  '\t',
  '  ',
  '\n',
  '\n\n',
  '<b>',
  '#',
];

/** Some text: words, spaces, newlines, other scripts. */
export function text(random: Random, words = 1 + random.int(24)): string {
  let out = '';
  for (let i = 0; i < words; i++) out += (i > 0 && random.chance(0.8) ? ' ' : '') + random.pick(WORDS);
  return out;
}

/** Tools offered to the model, OpenAI style. */
export const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'read_file',
      description: 'Reads a file of the repository.',
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'Path from the root' },
          lines: { type: 'array', items: { type: 'integer' } },
        },
        required: ['path'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'run_tests',
      description: 'Runs the test suite.',
      parameters: { type: 'object', properties: { filter: { type: 'string', enum: ['unit', 'e2e'] } } },
    },
  },
];

export interface ConversationOptions {
  /** Offer tools and make tool calls. */
  tools: boolean;
  /** Answers may carry reasoning (a leading think block, or `reasoning_content`). */
  reasoning: boolean;
  /** Template kwargs of every turn. */
  kwargs: Record<string, unknown>;
}

/** A conversation growing turn by turn: each turn's request messages, and then the assistant's answer. */
export class Conversation {
  readonly messages: Record<string, unknown>[] = [];
  private calls = 0;

  constructor(
    private readonly random: Random,
    readonly options: ConversationOptions,
  ) {
    if (random.chance(0.7)) this.messages.push({ role: 'system', content: text(random) });
    this.messages.push({ role: 'user', content: text(random) });
  }

  get tools(): unknown[] | null {
    return this.options.tools ? TOOLS : null;
  }

  /** The assistant's answer to the conversation so far (appended), as an agent sends it back. */
  answer(): Record<string, unknown> {
    const random = this.random;
    const message: Record<string, unknown> = { role: 'assistant' };
    const thinking = this.options.reasoning && random.chance(0.4) ? text(random) : null;
    if (this.options.tools && random.chance(0.4)) {
      message.content = thinking === null ? (random.chance(0.5) ? '' : text(random)) : `<think>${thinking}</think>`;
      message.tool_calls = Array.from({ length: 1 + random.int(2) }, () => {
        const name = random.pick(['read_file', 'run_tests']);
        const args =
          name === 'read_file' ? { path: `src/${text(random, 1)}.ts` } : { filter: random.pick(['unit', 'e2e']) };
        return { id: `call_${++this.calls}`, type: 'function', function: { name, arguments: JSON.stringify(args) } };
      });
    } else if (thinking !== null && random.chance(0.5)) {
      message.content = text(random);
      message.reasoning_content = thinking;
    } else message.content = thinking === null ? text(random) : `<think>\n${thinking}\n</think>\n\n${text(random)}`;
    this.messages.push(message);
    return message;
  }

  /** What follows an answer: the results of its tool calls, or a new user message. */
  followUp(): void {
    const last = this.messages.at(-1) as { tool_calls?: { id: string; function: { name: string } }[] };
    if (last.tool_calls)
      for (const call of last.tool_calls)
        this.messages.push({
          role: 'tool',
          tool_call_id: call.id,
          name: call.function.name,
          content: text(this.random),
        });
    else this.messages.push({ role: 'user', content: text(this.random) });
  }
}
