import type { FastifyReply } from 'fastify';
import { streamErrorEvent, type ResponseOutputItemDto } from '@app/contracts';
import type { TurnResult } from '../chat/turn.js';
import type { CompletionMeta } from '../chat/turn.js';
import { LeadingThinkSplitter } from '../chat/leading-think.js';
import type { ToolCall } from '../chat/output-parser.js';
import type { TokenLogprob } from '../chat/token-logprobs.js';
import { SseTurnStream, streamErrorInfo } from '../chat/turn-sink.js';
import type { ResponseEcho } from './responses-request.js';
import {
  functionCallItem,
  itemIds,
  messageItem,
  outputTextPart,
  reasoningItem,
  responseObject,
} from './responses-response.js';

/** The item being streamed: its index in `output`, its kind and its text so far. */
interface OpenItem {
  index: number;
  kind: 'reasoning' | 'message';
  id: string;
  text: string;
}

/**
 * A streaming Responses answer, in OpenAI's event order: `response.created`,
 * `response.in_progress`, then per output item `output_item.added`, its content part, its deltas
 * (`reasoning_text`, `output_text`, `function_call_arguments`), their `.done` events and
 * `output_item.done`; finally `response.completed` (or `response.incomplete`) with the whole
 * response, whose output is what the non-streaming answer holds.
 */
export class ResponsesStream extends SseTurnStream {
  private sequence = 0;
  private readonly output: ResponseOutputItemDto[] = [];
  private open: OpenItem | null = null;
  private readonly ids: ReturnType<typeof itemIds>;
  private calls = 0;
  private readonly splitter = new LeadingThinkSplitter({
    reasoningStart: () => this.openItem('reasoning'),
    reasoning: (delta) => this.delta('reasoning', delta),
    text: (delta) => this.delta('message', delta),
  });

  /** Log-probs of tokens not yet attached to an output_text delta, and all of them for the text part. */
  private pendingLogprobs: TokenLogprob[] = [];
  private readonly messageLogprobs: TokenLogprob[] = [];

  constructor(
    reply: FastifyReply,
    private readonly meta: CompletionMeta,
    private readonly echo: ResponseEcho,
    /** `include: ["message.output_text.logprobs"]`: text deltas carry their tokens' log-probs. */
    private readonly logprobs = false,
  ) {
    super(reply);
    this.ids = itemIds(meta);
  }

  override tokens(_ids: readonly number[], logprobs: TokenLogprob[] | null): void {
    if (this.logprobs && logprobs) this.pendingLogprobs.push(...logprobs);
  }

  private event(type: string, fields: object): void {
    this.send({ type, sequence_number: this.sequence++, ...fields }, type);
  }

  protected opened(): void {
    const response = responseObject(this.meta, this.echo, null, []);
    this.event('response.created', { response });
    this.event('response.in_progress', { response });
  }

  text(delta: string): void {
    this.splitter.push(delta);
  }

  toolCall(call: ToolCall): void {
    this.splitter.finish();
    this.closeItem();
    const index = this.output.length;
    const id = this.ids.call(this.calls++);
    this.output.push(functionCallItem(id, call, 'completed'));
    this.event('response.output_item.added', { output_index: index, item: functionCallItem(id, call, 'in_progress') });
    const at = { item_id: id, output_index: index };
    this.event('response.function_call_arguments.delta', { ...at, delta: call.function.arguments });
    this.event('response.function_call_arguments.done', {
      ...at,
      name: call.function.name,
      arguments: call.function.arguments,
    });
    this.event('response.output_item.done', { output_index: index, item: this.output[index] });
  }

  finish(result: TurnResult): void {
    this.start();
    this.splitter.finish();
    // No text and no call: the answer still has its (empty) message, as the non-streaming one.
    if (this.calls === 0 && !this.output.some((item) => item.type === 'message') && this.open?.kind !== 'message')
      this.openItem('message');
    this.closeItem();
    // Tokens after the message item closed (a tool call, the end of turn): the completed response's
    // text part lists every token's log-prob, as the non-streaming answer does.
    this.takeLogprobs();
    const response = responseObject(this.meta, this.echo, result, this.output);
    this.event(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response });
    this.end();
  }

  /** An error after the stream began: OpenAI's `error` event, then the end of the stream. */
  error(err: unknown): void {
    const { status, message, code } = streamErrorInfo(err);
    const { data } = streamErrorEvent('responses', status, message, code);
    this.event('error', data);
    this.end();
  }

  private delta(kind: OpenItem['kind'], delta: string): void {
    if (this.open?.kind !== kind) this.openItem(kind);
    const item = this.open!;
    item.text += delta;
    const type = kind === 'reasoning' ? 'response.reasoning_text.delta' : 'response.output_text.delta';
    const extra = kind === 'message' ? { logprobs: this.takeLogprobs() } : {};
    this.event(type, { item_id: item.id, output_index: item.index, content_index: 0, delta, ...extra });
  }

  /** The pending log-probs (they ride on the next text delta; the text part gets them all). */
  private takeLogprobs(): TokenLogprob[] {
    if (this.pendingLogprobs.length === 0) return [];
    const taken = this.pendingLogprobs;
    this.pendingLogprobs = [];
    this.messageLogprobs.push(...taken);
    return taken;
  }

  private openItem(kind: OpenItem['kind']): void {
    this.closeItem();
    const index = this.output.length;
    const id = kind === 'reasoning' ? this.ids.reasoning : this.ids.message;
    // Its slot in the output is filled when it closes (nothing else is added while it is open).
    this.open = { index, kind, id, text: '' };
    const item =
      kind === 'reasoning' ? { type: 'reasoning', id, summary: [], content: [] } : messageItem(id, '', 'in_progress');
    this.event('response.output_item.added', { output_index: index, item });
    const part = kind === 'reasoning' ? { type: 'reasoning_text', text: '' } : outputTextPart('');
    this.event('response.content_part.added', { item_id: id, output_index: index, content_index: 0, part });
  }

  private closeItem(): void {
    const item = this.open;
    if (!item) return;
    this.open = null;
    const at = { item_id: item.id, output_index: item.index, content_index: 0 };
    let done: ResponseOutputItemDto;
    if (item.kind === 'reasoning') {
      this.event('response.reasoning_text.done', { ...at, text: item.text });
      this.event('response.content_part.done', { ...at, part: { type: 'reasoning_text', text: item.text } });
      done = reasoningItem(item.id, item.text);
    } else {
      this.takeLogprobs();
      this.event('response.output_text.done', { ...at, text: item.text, logprobs: this.messageLogprobs });
      this.event('response.content_part.done', { ...at, part: outputTextPart(item.text, this.messageLogprobs) });
      done = messageItem(item.id, item.text, 'completed', this.messageLogprobs);
    }
    this.output[item.index] = done;
    this.event('response.output_item.done', { output_index: item.index, item: done });
  }
}
