// One unit over 300 lines: the turn pipeline every agent API shares (prepare, generate, stream,
// record); its steps hand each other one PreparedChat and must agree on exactly which tokens are
// recorded and shown.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_OPTIONS, AppException, ErrorCode } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import type { EngineSampling, PromptIds } from '../inference/engine-backend.js';
import type { GenerateInput, GenerateOutcome } from '../inference/generation.js';
import { InfBridgeService } from '../inference/inf-bridge.service.js';
import { carryPrompt } from '../inference/prompt-ids-json.js';
import { compactAnswer, type Interaction, type NewInteraction } from '../sessions/interaction.js';
import { SessionStore, type Session } from '../sessions/session-store.service.js';
import { DataProxyModel } from '../tokenization/data-proxy-model.js';
import { buildConcatPrompt, buildHfPrompt } from '../tokenization/prompt-builder.js';
import type { RenderContinuation } from '../tokenization/prompt-continuations.js';
import { completionBudget, type ChatRequest } from './chat-request.js';
import { outputMessage } from './chat-response.js';
import { ToolSet, type ToolCall } from './output-parser.js';
import type { OutputStream } from './parsers/parser-types.js';
import type { CompletionMeta, PreparedChat, TurnResult, Usage } from './turn.js';
import type { TurnSink } from './turn-sink.js';
import { DataProxyMetrics, type AgentApi } from '../metrics/data-proxy-metrics.js';
import { deterministicSeed } from './sampling-seed.js';
import { tokenLogprobs, type TokenLogprob } from './token-logprobs.js';
import { toolChoiceConstraint } from './tool-choice.js';

/** Each API's answer ids, as the providers spell them. */
const ID_PREFIX: Record<AgentApi, string> = {
  chat: 'chatcmpl-',
  responses: 'resp_',
  messages: 'msg_',
  completions: 'cmpl-',
  generate: 'gen-',
};

/**
 * The turn pipeline every agent API goes through (chat, Responses, Messages, completions): the
 * internal request → chat template (or the raw prompt) → token ids → InfBridge → exact tokens,
 * log-probs and versions → decoded text and tool calls, recorded in the session. Each API converts
 * its request into a `ChatRequest` and formats the `TurnResult` (or the `TurnSink` events) itself.
 * Streaming streams from the engine token by token.
 */
@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);

  constructor(
    private readonly model: DataProxyModel,
    private readonly bridge: InfBridgeService,
    private readonly sessions: SessionStore,
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
    private readonly turnMetrics: DataProxyMetrics,
  ) {}

  /** The turn's latency and token metrics; `firstTokenAt` when its first token arrived (streaming), else null. */
  private observeTurn(chat: PreparedChat, outcome: GenerateOutcome, firstTokenAt: number | null): void {
    this.turnMetrics.observeTurn(
      chat.api,
      chat.startedAt,
      firstTokenAt,
      chat.promptIds.length,
      outcome.outputTokens.length,
    );
  }

  /** Prefix-cache accounting for one finished generation (only when the engine reports its cache hits). */
  private countCache(chat: PreparedChat, outcome: GenerateOutcome): void {
    if (outcome.cachedTokens !== null) this.turnMetrics.observeCache(chat.promptIds.length, outcome.cachedTokens);
  }

  /** Resolves the session, builds the prompt and the sampling settings for a turn of `api`. */
  async prepare(request: ChatRequest, token: string | null, api: AgentApi = 'chat'): Promise<PreparedChat> {
    const startedAt = performance.now();
    const session = this.sessions.resolve(token);
    if (session) this.sessions.touch(session);
    if (!this.bridge.hasBackend) {
      throw new AppException(
        503,
        ErrorCode.SERVICE_UNAVAILABLE,
        'No inference backend configured (external model mode), and the model is not a registered external model.',
      );
    }
    // Already normalised by the request parser: what is templated, recorded and compared.
    const messages: unknown[] = request.messages;
    const concat = this.options['chat-template-type'] === 'concat';
    const id = `${ID_PREFIX[api]}${randomUUID().replace(/-/g, '').slice(0, 29)}`;
    let parent: Interaction | null;
    let promptIds: PromptIds;
    if (request.rawPrompt) {
      promptIds =
        'ids' in request.rawPrompt ? request.rawPrompt.ids : await this.model.encodeRawPrompt(request.rawPrompt.text);
      // A raw prompt continues the turn whose tokens it starts with (a multi-turn completions agent).
      parent = session && request.store ? session.active.findTokenParent(promptIds) : null;
    } else {
      const found = session && request.store ? session.active.findParent(messages) : null;
      // An external model's answer has no tokens to continue from: such a turn starts fresh.
      parent = found && found.kind === 'tokens' ? found : null;
      // A recorded turn's prompt is kept for the turns that continue it (incremental templating).
      const continuation = session && request.store ? { from: parent?.id ?? null, as: id } : undefined;
      promptIds = await this.templatedPrompt(request, messages, {
        parent,
        concat,
        conversation: session?.id,
        continuation,
      });
    }
    const budget = completionBudget(promptIds.length, request, {
      engineMaxTokens: this.options['engine-max-tokens'],
      contextLength: await this.bridge.contextLength(),
      defaultMaxTokens: this.options['default-max-tokens'],
    });
    const sampling: EngineSampling = {
      ...request.sampling,
      // A forced tool choice becomes a grammar of the served model's tool-call format.
      constraint:
        request.sampling.constraint ??
        (typeof request.toolChoice === 'object' || request.toolChoice === 'required'
          ? toolChoiceConstraint(
              request.toolChoice,
              (request.tools ?? []).map((tool) => (tool.function as { name: string }).name),
              request.parallelToolCalls,
              this.model.output.toolCallSyntax,
              this.model.output.reasoningMarkers,
            )
          : null),
      seed: this.seedFor(session, request.sampling.seed),
      // The reference drops stop strings in concat mode: the recorded tokens must end where the model ended.
      stop: concat ? [] : request.sampling.stop,
      stopTokenIds: request.stopTokenIds ?? this.model.stopTokenIds,
    };
    const meta: CompletionMeta = {
      id,
      created: Math.floor(Date.now() / 1000),
      model: request.model ?? 'None',
    };
    return { request, session, messages, parent, promptIds, budget, sampling, meta, api, startedAt };
  }

  /**
   * The chat template's tokens for the (normalised) messages; a turn's (`turn`): continuing the
   * kept prompt of its conversation, and in `concat` mode its parent's exact tokens. A template
   * that cannot render the messages is the caller's 400.
   */
  async templatedPrompt(
    request: ChatRequest,
    messages: unknown[],
    turn?: {
      /** The recorded turn this one continues (null: none). */
      parent: Interaction | null;
      concat: boolean;
      conversation?: string;
      continuation?: RenderContinuation;
    },
  ): Promise<PromptIds> {
    const promptInput = {
      messages,
      tools: request.tools,
      kwargs: request.templateKwargs,
      conversation: turn?.conversation,
      continuation: turn?.continuation,
    };
    try {
      return turn?.concat
        ? await buildConcatPrompt(this.model, promptInput, turn.parent)
        : await buildHfPrompt(this.model, promptInput, turn?.parent ?? null);
    } catch (err) {
      if (err instanceof AppException) throw err;
      throw new AppException(
        400,
        ErrorCode.BAD_REQUEST,
        `The chat template cannot render these messages: ${(err as Error).message}`,
      );
    }
  }

  /**
   * The seed sent to the engine: the request's own, else with deterministic sampling (the flag,
   * or the session asked at start) AReaL 2.0's derived seed. A deterministic session counts every
   * chat request, seeded or not, so request k always gets seed k.
   */
  private seedFor(session: Session | undefined, explicit: number | null): number | null {
    if (!session || !(this.options['deterministic-sampling'] || session.deterministicSampling)) return explicit;
    const index = this.sessions.takeRequestIndex(session);
    return explicit ?? deterministicSeed(session.seedIdentity, index);
  }

  /**
   * Every API's last step, as the request asked: a streamed turn into `sink()` (then null), or the
   * whole turn as `format(result)` for the controller to send (null if the client left meanwhile).
   */
  async serve<T>(
    chat: PreparedChat,
    signal: AbortSignal,
    requestId: string,
    sink: () => TurnSink,
    format: (result: TurnResult) => T,
  ): Promise<T | null> {
    if (chat.request.stream) {
      await this.stream(chat, sink(), signal, requestId);
      return null;
    }
    const result = await this.complete(chat, signal, requestId);
    return signal.aborted ? null : format(result);
  }

  /** Non-streaming: generates the whole turn, records it and returns it for the API to format. */
  async complete(chat: PreparedChat, signal: AbortSignal, requestId: string): Promise<TurnResult> {
    const outcome = await this.bridge.generate(generateInput(chat, signal, requestId));
    this.countCache(chat, outcome);
    const text = this.answerText(outcome, chat.request.skipSpecialTokens);
    // A raw prompt's completion is the text as generated; a chat answer is read by the model's parsers.
    const parsed = chat.request.rawPrompt
      ? { content: text, toolCalls: [] }
      : this.model.output.parse(text, toolSetOf(chat.request), this.model.opensReasoning(chat.promptIds));
    const result = turnResult(chat, outcome, parsed.content, parsed.toolCalls, this.answerLogprobs(chat, outcome));
    this.record(chat, outcome, result);
    this.observeTurn(chat, outcome, null);
    return result;
  }

  /**
   * Streaming: text and tool calls go to `sink` as tokens arrive (held back only where a stop
   * string or a tool-call tag could still begin); the turn is recorded as the client assembled it.
   */
  async stream(chat: PreparedChat, sink: TurnSink, signal: AbortSignal, requestId: string): Promise<void> {
    const tokenizer = this.model.tokenizer;
    const decoder = tokenizer.streamDecoder(chat.request.skipSpecialTokens);
    const k = chat.request.logprobs;
    const reportsTokens = k !== null || chat.request.returnTokenIds;
    const parser: OutputStream | null = chat.request.rawPrompt
      ? null
      : this.model.output.stream(toolSetOf(chat.request), this.model.opensReasoning(chat.promptIds));
    const calls: ToolCall[] = [];
    const stopHold = chat.sampling.stop.reduce((max, s) => Math.max(max, s.length), 0);
    let held = '';
    let sent = '';
    let firstTokenAt: number | null = null;
    const heldStopTokens: number[] = [];

    const sendText = (text: string): void => {
      if (text.length === 0) return;
      sent += text;
      sink.text(text);
    };
    const emitParsed = (step: { content: string; calls: ToolCall[] }): void => {
      sendText(step.content);
      for (const call of step.calls) {
        calls.push(call);
        sink.toolCall(call);
      }
    };
    const emitText = (text: string): void => {
      if (text.length === 0) return;
      if (!parser) return sendText(text);
      emitParsed(parser.push(text));
    };
    const pushText = (piece: string): void => {
      held += piece;
      // Hold back what could still turn out to be the stop string, which the client must not see.
      const release = held.length - stopHold;
      if (release > 0) {
        emitText(held.slice(0, release));
        held = held.slice(release);
      }
    };

    let outcome: GenerateOutcome;
    try {
      outcome = await this.bridge.generate(
        generateInput(chat, signal, requestId, (tokens, logprobs, _versions, top) => {
          firstTokenAt ??= performance.now();
          sink.start();
          if (reportsTokens)
            sink.tokens(tokens, k === null ? null : tokenLogprobs(tokenizer, tokens, logprobs, top, k));
          for (const id of tokens) {
            // EOS/pad are held: the answer's text never shows a trailing end marker.
            if (this.model.isStopToken(id)) {
              heldStopTokens.push(id);
              continue;
            }
            for (const stopId of heldStopTokens.splice(0)) pushText(decoder.push(stopId));
            pushText(decoder.push(id));
          }
        }),
      );
    } catch (err) {
      if (signal.aborted) return sink.abandon();
      if (!sink.started) throw err;
      sink.error(err);
      return;
    }
    this.countCache(chat, outcome);
    held += decoder.end();
    if (outcome.stop === 'length') held += tokenizer.decode(heldStopTokens, chat.request.skipSpecialTokens);
    if (outcome.matchedStop) {
      const at = held.indexOf(outcome.matchedStop);
      if (at >= 0) held = held.slice(0, at);
    }
    emitText(held);
    if (parser) emitParsed(parser.finish());
    // Record what the client assembled from the deltas: that is what it will send back next turn.
    const result = turnResult(chat, outcome, sent, calls, this.answerLogprobs(chat, outcome));
    this.record(chat, outcome, result);
    sink.finish(result);
    this.observeTurn(chat, outcome, firstTokenAt);
  }

  /**
   * Token in, token out (SGLang's `/generate`): the engine's tokens as they are — no text, no tool
   * calls — recorded like a raw-prompt turn; `onTokens` gets them as they arrive (the engine streams).
   */
  async generateTokens(
    chat: PreparedChat,
    signal: AbortSignal,
    requestId: string,
    onTokens?: GenerateInput['onTokens'],
  ): Promise<GenerateOutcome> {
    let firstTokenAt: number | null = null;
    const outcome = await this.bridge.generate(
      generateInput(
        chat,
        signal,
        requestId,
        onTokens &&
          ((...arrived) => {
            firstTokenAt ??= performance.now();
            onTokens(...arrived);
          }),
      ),
    );
    this.countCache(chat, outcome);
    // An answer without tokens (max_new_tokens 0: a prefill) has nothing to train on.
    if (outcome.outputTokens.length > 0) this.record(chat, outcome, turnResult(chat, outcome, '', [], null));
    this.observeTurn(chat, outcome, firstTokenAt);
    return outcome;
  }

  /** The answer's log-probs, when the request asks for them (the recorded values, every output token). */
  private answerLogprobs(chat: PreparedChat, outcome: GenerateOutcome): TokenLogprob[] | null {
    const k = chat.request.logprobs;
    if (k === null) return null;
    return tokenLogprobs(
      this.model.tokenizer,
      outcome.outputTokens,
      outcome.outputLogprobs,
      outcome.outputTopLogprobs,
      k,
    );
  }

  /**
   * The answer's text: output tokens without the trailing EOS/pad, special tokens kept (unless the
   * request asked to skip them), cut at a matched stop string.
   */
  private answerText(outcome: GenerateOutcome, skipSpecialTokens: boolean): string {
    const tokens = outcome.outputTokens;
    let end = tokens.length;
    if (outcome.stop === 'stop') while (end > 0 && this.model.isStopToken(tokens[end - 1])) end--;
    let text = this.model.tokenizer.decode(end === tokens.length ? tokens : tokens.slice(0, end), skipSpecialTokens);
    if (outcome.matchedStop) {
      const at = text.indexOf(outcome.matchedStop);
      if (at >= 0) text = text.slice(0, at);
    }
    return text;
  }

  /** Stores the interaction in the session's current trajectory (sessionless requests are not kept). */
  private record(chat: PreparedChat, outcome: GenerateOutcome, result: TurnResult): void {
    if (!chat.session || !chat.request.store) return;
    const session = this.sessions.get(chat.session.id);
    if (session !== chat.session) {
      this.logger.warn(
        { session: chat.session.id, interaction: chat.meta.id },
        'session removed while the completion ran; not recorded',
      );
      return;
    }
    const interaction: NewInteraction = {
      id: chat.meta.id,
      kind: 'tokens',
      messages: chat.messages,
      chatTemplateType: this.options['chat-template-type'] === 'concat' ? 'concat' : 'hf',
      parentId: chat.parent?.id ?? null,
      promptIds: chat.promptIds,
      ...compactAnswer(outcome.outputTokens, outcome.outputLogprobs, outcome.outputVersions),
      stopReason: result.finishReason,
      // A raw prompt has no messages: its turn is found again by its tokens, never by messages.
      outputMessages: chat.request.rawPrompt ? [] : [outputMessage(result.content, result.toolCalls)],
      reward: null,
      createdAt: Date.now(),
    };
    // A concat prompt that continues this one begins with this one's ids and writes their JSON from
    // this one's (prompt-builder.ts); hf prompts continue the kept render instead
    // (prompt-continuations.ts), so nothing is carried.
    if (interaction.chatTemplateType === 'concat') carryPrompt(chat.promptIds, interaction.id);
    this.sessions.record(session, interaction);
  }
}

/** What the engine is asked for a prepared turn; `onTokens` gets the tokens as they arrive (streaming). */
function generateInput(
  chat: PreparedChat,
  signal: AbortSignal,
  requestId: string,
  onTokens?: GenerateInput['onTokens'],
): GenerateInput {
  return { promptIds: chat.promptIds, maxNewTokens: chat.budget, sampling: chat.sampling, signal, requestId, onTokens };
}

/** The request's tools for the tool-call parser; null when its calls are not parsed (no tools, tool_choice none). */
function toolSetOf(request: ChatRequest): ToolSet | null {
  return request.parseToolCalls && request.tools ? new ToolSet(request.tools) : null;
}

function turnResult(
  chat: PreparedChat,
  outcome: GenerateOutcome,
  content: string,
  toolCalls: readonly ToolCall[],
  logprobs: TokenLogprob[] | null,
): TurnResult {
  return {
    content,
    toolCalls,
    finishReason: toolCalls.length > 0 && outcome.stop === 'stop' ? 'tool_calls' : outcome.stop,
    matchedStop: outcome.matchedStop ?? null,
    usage: usage(chat, outcome),
    outputIds: outcome.outputTokens,
    outputLogprobs: outcome.outputLogprobs,
    promptIds: chat.promptIds,
    tokenLogprobs: logprobs,
  };
}

function usage(chat: PreparedChat, outcome: GenerateOutcome): Usage {
  const out: Usage = {
    prompt_tokens: chat.promptIds.length,
    completion_tokens: outcome.outputTokens.length,
    total_tokens: chat.promptIds.length + outcome.outputTokens.length,
  };
  // As OpenAI reports prompt caching; present only when the engine says (SGLang always, vLLM with
  // --enable-prompt-tokens-details).
  if (outcome.cachedTokens !== null) out.prompt_tokens_details = { cached_tokens: outcome.cachedTokens };
  return out;
}
