import type { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { type AppException, sendEventStream } from '@app/common';
import { sglangStreamErrorEvent, type GenerateOutputDto } from '@app/contracts';
import type { HfTokenizer } from '@app/tokenizer';
import {
  abortFinish,
  answerText,
  generateOutput,
  refusedOutput,
  StreamedText,
  type GenerateAnswer,
  type GenerateFinish,
  type OutputSlice,
} from './generate-response.js';

const KEEP_ALIVE_MS = 15_000;

/** What the generate pipeline reports of a streamed call, answer by answer (`index`: its place in the answer list). */
export interface GenerateSink {
  /** New tokens of answer `index` arrived (`answer` holds everything so far). */
  progress(index: number, answer: GenerateAnswer): void;
  finish(index: number, answer: GenerateAnswer, finish: GenerateFinish): void;
  /** Answer `index` failed or was refused (`answer`: what it had, null when it never reached the engine). */
  fail(index: number, error: AppException, answer: GenerateAnswer | null, id: string): void;
}

interface AnswerStream {
  text: StreamedText;
  /** Tokens already sent (incremental streaming). */
  sentTokens: number;
}

/**
 * SGLang's `/generate` event stream. The status is 200 from the start, as SGLang's: each arrival
 * of tokens is one `data:` event — the whole answer so far (SGLang's default, cumulative) or only
 * the new part (`--incremental-streaming-output`) — and the last event of an answer carries its
 * `finish_reason`; `data: [DONE]` ends the stream. A batch's (or n > 1's) events carry `index`.
 * A single request refused before it reached the engine gets SGLang's error event; an answer that
 * fails later (or any answer of a list) ends with an abort finish carrying the status.
 */
export class GenerateStream implements GenerateSink {
  private readonly stream: PassThrough;
  private readonly answers = new Map<number, AnswerStream>();
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    reply: FastifyReply,
    private readonly tokenizer: HfTokenizer,
    private readonly incremental: boolean,
    /** A list answer (batch or n > 1): events carry `index`. */
    private readonly indexed: boolean,
    private readonly currentVersion: () => number,
  ) {
    this.stream = sendEventStream(reply);
    // Idle streams (a long pause for a weight update) stay open through proxies.
    this.keepAlive = setInterval(() => this.stream.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  }

  progress(index: number, answer: GenerateAnswer): void {
    const state = this.stateOf(index, answer);
    const piece = state.text.push(answer.tokens.slice(state.sentTokens));
    const from = this.incremental ? state.sentTokens : 0;
    state.sentTokens = answer.tokens.length;
    this.send(index, answer, this.slice(this.incremental ? piece : state.text.sent, from, null));
  }

  finish(index: number, answer: GenerateAnswer, finish: GenerateFinish): void {
    const state = this.stateOf(index, answer);
    const text = answerText(this.tokenizer, answer, finish);
    const sent = state.text.sent;
    const delta = text.startsWith(sent) ? text.slice(sent.length) : '';
    const from = this.incremental ? state.sentTokens : 0;
    state.sentTokens = answer.tokens.length;
    this.send(index, answer, this.slice(this.incremental ? delta : text, from, finish));
  }

  fail(index: number, error: AppException, answer: GenerateAnswer | null, id: string): void {
    if (answer !== null) {
      // It reached the engine: its last event carries the abort finish with the status, and what it had.
      const state = this.stateOf(index, answer);
      const from = this.incremental ? state.sentTokens : 0;
      this.send(index, answer, this.slice(this.incremental ? '' : state.text.sent, from, abortFinish(error)));
    } else if (!this.indexed) {
      // Refused before it began (SGLang's tokenizer refusal of a streamed request): one error event.
      this.write(sglangStreamErrorEvent(error.getStatus(), error.message));
    } else {
      this.write({ ...refusedOutput(id, error, undefined, this.currentVersion()), index });
    }
  }

  /** Every answer is done: `data: [DONE]`. */
  end(): void {
    clearInterval(this.keepAlive);
    this.stream.end('data: [DONE]\n\n');
  }

  /** The client went away: release the stream, write nothing. */
  abandon(): void {
    clearInterval(this.keepAlive);
    this.stream.destroy();
  }

  private stateOf(index: number, answer: GenerateAnswer): AnswerStream {
    let state = this.answers.get(index);
    if (!state) {
      state = {
        text: new StreamedText(answer.stops.ids, answer.stops.hold, this.tokenizer, answer.options.skipSpecialTokens),
        sentTokens: 0,
      };
      this.answers.set(index, state);
    }
    return state;
  }

  private slice(text: string, from: number, finish: GenerateFinish | null): OutputSlice {
    return { text, from, finish, currentVersion: this.currentVersion() };
  }

  private send(index: number, answer: GenerateAnswer, slice: OutputSlice): void {
    const output: GenerateOutputDto = generateOutput(this.tokenizer, answer, slice);
    if (this.indexed) output.index = index;
    this.write(output);
  }

  private write(payload: object): void {
    this.stream.write(`data: ${JSON.stringify(payload)}\n\n`);
    this.keepAlive.refresh();
  }
}
