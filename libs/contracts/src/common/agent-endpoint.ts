import { applyDecorators, HttpCode, type Type } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/** The errors every recorded agent turn can answer, worded once for all its APIs. */
export const TURN_ERRORS = {
  unknownKey: { status: 401, description: 'Unknown or expired session key' },
  engineFailed: { status: 502, description: 'The engine failed or broke its protocol; nothing was recorded' },
} as const;

export interface AgentEndpointDoc {
  /** The request body's DTO. */
  request: Type<unknown>;
  /** The JSON answer: a DTO, or a schema built from the extra models (a oneOf). */
  answer: Type<unknown> | Record<string, unknown>;
  /** What one server-sent event carries with `stream: true`. */
  event: Type<unknown>;
  /** The 200's description: the answer and its stream. */
  description: string;
  /** Models the schemas name besides `answer` and `event` (items of a union, nested parts). */
  extraModels?: Type<unknown>[];
  errors: readonly { status: number; description: string }[];
}

/**
 * The Swagger of one agent-API operation (gateway and data proxy document the same one): the
 * request body, the answer as JSON or as server-sent events, and the errors it can answer.
 */
export function documentAgentEndpoint(doc: AgentEndpointDoc): MethodDecorator {
  const answerModels = typeof doc.answer === 'function' ? [doc.answer] : [];
  const answerSchema = typeof doc.answer === 'function' ? { $ref: getSchemaPath(doc.answer) } : doc.answer;
  return applyDecorators(
    ApiBody({ type: doc.request }),
    ApiExtraModels(...new Set([...answerModels, doc.event, ...(doc.extraModels ?? [])])),
    ApiOkResponse({
      description: doc.description,
      content: {
        'application/json': { schema: answerSchema },
        'text/event-stream': { schema: { $ref: getSchemaPath(doc.event) } },
      },
    }),
    ...doc.errors.map((error) => ApiResponse(error)),
  );
}

/**
 * What the route of an agent turn carries besides its verb and paths (gateway and data proxy
 * alike): a 200 answer, the caller-key guard it takes (`key`), its summary and its Swagger (`docs`,
 * one of the `Api…()` above).
 */
export function AgentTurnRoute(key: MethodDecorator, docs: MethodDecorator, summary: string): MethodDecorator {
  // In this order a status both document (401) reads the API's own description first, then the guard's.
  return applyDecorators(docs, key, ApiOperation({ summary }), HttpCode(200));
}
