import type { FastifyReply } from 'fastify';
import { streamErrorEvent } from '@app/contracts';
import type { TurnResult } from '../chat/turn.js';
import type { CompletionMeta } from '../chat/turn.js';
import { LeadingThinkSplitter } from '../chat/leading-think.js';
import type { ToolCall } from '../chat/output-parser.js';
import { SseTurnStream, streamErrorInfo } from '../chat/turn-sink.js';
import { messageObject, messagesUsage, stopReason, toolInput } from './messages-response.js';

/**
 * A streaming Messages answer, in Anthropic's event order: `message_start`, `ping`, then per
 * content block `content_block_start`, its deltas (`thinking_delta`, `text_delta`,
 * `input_json_delta`) and `content_block_stop`; finally `message_delta` (stop reason, output
 * tokens) and `message_stop`. The blocks are those of the non-streaming answer.
 */
export class MessagesStream extends SseTurnStream {
  private index = -1;
  private open: 'thinking' | 'text' | null = null;
  private blocks = 0;
  private readonly splitter = new LeadingThinkSplitter({
    reasoningStart: () => this.openBlock('thinking'),
    reasoning: (delta) => this.delta('thinking', delta),
    text: (delta) => this.delta('text', delta),
  });

  constructor(
    reply: FastifyReply,
    private readonly meta: CompletionMeta,
    private readonly promptTokens: number,
  ) {
    super(reply);
  }

  private event(type: string, fields: Record<string, unknown>): void {
    this.send({ type, ...fields }, type);
  }

  protected opened(): void {
    this.event('message_start', { message: messageObject(this.meta, this.promptTokens, null, []) });
    this.event('ping', {});
  }

  text(delta: string): void {
    this.splitter.push(delta);
  }

  toolCall(call: ToolCall): void {
    this.splitter.finish();
    this.closeBlock();
    const index = ++this.index;
    this.blocks++;
    const input = toolInput(call);
    this.event('content_block_start', {
      index,
      content_block: { type: 'tool_use', id: call.id, name: call.function.name, input: {} },
    });
    this.event('content_block_delta', {
      index,
      delta: { type: 'input_json_delta', partial_json: JSON.stringify(input) },
    });
    this.event('content_block_stop', { index });
    this.sawCall = true;
  }

  private sawCall = false;
  private sawText = false;

  finish(result: TurnResult): void {
    this.start();
    this.splitter.finish();
    // No text and no call: the answer still has its (empty) text block, as the non-streaming one.
    if (!this.sawCall && !this.sawText && this.open !== 'text') this.openBlock('text');
    this.closeBlock();
    this.event('message_delta', {
      delta: stopReason(result),
      usage: { output_tokens: messagesUsage(this.promptTokens, result.usage).output_tokens },
    });
    this.event('message_stop', {});
    this.end();
  }

  /** An error after the stream began: Anthropic's `error` event, then the end of the stream. */
  error(err: unknown): void {
    const { status, message, code } = streamErrorInfo(err);
    this.send(streamErrorEvent('anthropic', status, message, code).data, 'error');
    this.end();
  }

  private delta(kind: 'thinking' | 'text', delta: string): void {
    if (this.open !== kind) this.openBlock(kind);
    const payload =
      kind === 'thinking' ? { type: 'thinking_delta', thinking: delta } : { type: 'text_delta', text: delta };
    this.event('content_block_delta', { index: this.index, delta: payload });
  }

  private openBlock(kind: 'thinking' | 'text'): void {
    this.closeBlock();
    this.open = kind;
    if (kind === 'text') this.sawText = true;
    const index = ++this.index;
    this.blocks++;
    const block = kind === 'thinking' ? { type: 'thinking', thinking: '', signature: '' } : { type: 'text', text: '' };
    this.event('content_block_start', { index, content_block: block });
  }

  private closeBlock(): void {
    if (this.open === null) return;
    this.open = null;
    this.event('content_block_stop', { index: this.index });
  }
}
