import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { APP_OPTIONS } from '@app/common';
import type { EngineSimOptions } from '../config/engine-sim-options.js';
import { ConstraintError } from './constraints/constraint-error.js';
import type { CompiledConstraint, ConstraintSpec } from './constraints/constraint.js';
import { EngineService, type SubmitInput } from './engine.service.js';
import type { GenerationRequest } from './generation-request.js';
import { endEventStream, openEventStream, writeEvent } from './sse.js';
import { streamListener, type StreamedSoFar } from './stream-listener.js';

/** What a streamed generation writes, in its engine's shapes. */
export interface StreamedGeneration {
  /** The stream's only event when the request is refused after it was accepted (it never runs); else null. */
  refusal: unknown;
  /** The event for what arrived since `sent`. */
  event(g: GenerationRequest, sent: Readonly<StreamedSoFar>): unknown;
  /** An event after the last one, before `[DONE]` (a usage chunk), or null. */
  closing?(g: GenerationRequest): unknown;
  /** Runs once the generation is over: its stream ended, or its client went and it was cancelled. */
  over?(g: GenerationRequest): void;
}

/**
 * The skeleton of both engines' generation endpoints (SGLang's `/generate`, vLLM's
 * `/v1/completions`): the engine and options they serve with, a request's constraint compiled the
 * way the engine compiles it, and a generation streamed as server-sent events that is cancelled
 * when its client goes.
 */
@Injectable()
export abstract class GenerationEndpoint {
  constructor(
    protected readonly engine: EngineService,
    @Inject(APP_OPTIONS) protected readonly options: EngineSimOptions,
  ) {}

  /** `spec` compiled (the engine keeps the most recent), or why it does not compile. */
  protected compileConstraint(spec: ConstraintSpec): { constraint: CompiledConstraint | null; invalid: string | null } {
    try {
      return { constraint: this.engine.constraints.compile(spec), invalid: null };
    } catch (err) {
      if (!(err instanceof ConstraintError)) throw err;
      return { constraint: null, invalid: err.message };
    }
  }

  /** Answers `reply` with one generation as server-sent events, as `streamed` writes them. */
  protected streamGeneration(
    reply: FastifyReply,
    input: Omit<SubmitInput, 'listener'>,
    streamed: StreamedGeneration,
  ): void {
    let generation: GenerationRequest | null = null;
    const stream = openEventStream(reply, () => {
      if (!generation) return;
      this.engine.cancel(generation);
      streamed.over?.(generation);
    });
    if (streamed.refusal !== null) {
      writeEvent(stream, streamed.refusal);
      endEventStream(stream);
      return;
    }
    generation = this.engine.submit({
      ...input,
      listener: streamListener(
        (g, sent) => writeEvent(stream, streamed.event(g, sent)),
        (g) => {
          const closing = streamed.closing?.(g) ?? null;
          if (closing !== null) writeEvent(stream, closing);
          endEventStream(stream);
          streamed.over?.(g);
        },
      ),
    });
  }
}
