import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { documentAgentEndpoint, TURN_ERRORS } from '../common/agent-endpoint.js';
import { SglangMetaInfoDto, SglangSamplingParamsDto } from '../engine/sglang.dto.js';
import type { SglangErrorResponseDto } from '../common/errors.dto.js';

/**
 * SGLang's `/generate` as the gateway and the data proxy serve it to trainers that tokenize for
 * themselves (token in, token out): SGLang's request, batches and `n` included, answered in
 * SGLang's shape plus the per-token weight versions. The body is read by hand
 * (`apps/data-proxy/src/generate/generate-request.ts`); these classes are what it accepts and what
 * Swagger shows.
 */
export class GenerateSamplingParamsDto extends SglangSamplingParamsDto {
  @ApiPropertyOptional({ minimum: 1, default: 1, description: 'Samples per prompt; each is its own interaction' })
  n?: number;
  @ApiPropertyOptional({ description: 'Keep the matched stop string (or stop token) in `text`' })
  no_stop_trim?: boolean;
}

export class GenerateRequestDto {
  @ApiPropertyOptional({
    description: 'Prompt token ids, or a list of them (a batch, answered in order); exclusive with `text`',
    oneOf: [
      { type: 'array', items: { type: 'integer' } },
      { type: 'array', items: { type: 'array', items: { type: 'integer' } } },
    ],
    example: [151644, 872, 198, 9707, 151645],
  })
  input_ids?: number[] | number[][];
  @ApiPropertyOptional({
    description: 'Prompt text (tokenized as is, never templated), or a list of texts (a batch)',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
  })
  text?: string | string[];
  @ApiPropertyOptional({
    description: 'One object for every prompt, or one per prompt of a batch',
    oneOf: [
      { $ref: '#/components/schemas/GenerateSamplingParamsDto' },
      { type: 'array', items: { $ref: '#/components/schemas/GenerateSamplingParamsDto' } },
    ],
  })
  sampling_params?: GenerateSamplingParamsDto | GenerateSamplingParamsDto[];
  @ApiPropertyOptional({ description: 'Answer `output_token_logprobs` (always recorded either way)' })
  return_logprob?: boolean;
  @ApiPropertyOptional({
    default: -1,
    description: 'Only -1 (output log-probs only) or the input length: prompt log-probs are not served',
  })
  logprob_start_len?: number;
  @ApiPropertyOptional({ minimum: 0, description: 'Alternatives per output token in `output_top_logprobs`' })
  top_logprobs_num?: number;
  @ApiPropertyOptional({ description: 'The token text as the third entry of each log-prob triple' })
  return_text_in_logprobs?: boolean;
  @ApiPropertyOptional({ default: false, description: 'Server-sent events, then `data: [DONE]`' }) stream?: boolean;
  @ApiPropertyOptional({
    description:
      'Request id, answered as `meta_info.id` and used as the interaction id (a batch or n > 1: `<rid>_<k>`)',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
  })
  rid?: string | string[];
}

export class GenerateMetaInfoDto extends SglangMetaInfoDto {
  @ApiProperty({
    type: [Number],
    description:
      'The weight version each output token was sampled under, one per `output_ids` entry: exactly what the export records (ours; SGLang has only the `weight_versions` spans)',
    example: [3, 3, 4],
  })
  output_token_versions!: number[];
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'array' },
    description: 'With `return_logprob`: always empty (prompt log-probs are not served)',
  })
  input_token_logprobs?: unknown[];
}

/** One answer of `/generate` (a batch or n > 1: a list of them, in order), and each streamed event. */
export class GenerateOutputDto {
  @ApiProperty({ example: 'Paris.' }) text!: string;
  @ApiProperty({ type: [Number], description: 'The generated ids, exactly as recorded' }) output_ids!: number[];
  @ApiProperty({ type: GenerateMetaInfoDto }) meta_info!: GenerateMetaInfoDto;
  @ApiPropertyOptional({ description: 'Streams of a batch or n > 1: which answer this event belongs to' })
  index?: number;
  @ApiPropertyOptional({ type: [Number], description: 'With `return_prompt_token_ids`: the prompt, as recorded' })
  prompt_token_ids?: number[];
}

export class SglangValueErrorDetailDto {
  @ApiProperty({ example: 'The input (40961 tokens) is longer than the model’s context length (40960 tokens).' })
  message!: string;
}

/** SGLang's answer to a refused request (its tokenizer's `ValueError`): 400 `{"error": {"message"}}`. */
export class SglangValueErrorResponseDto {
  @ApiProperty({ type: SglangValueErrorDetailDto }) error!: SglangValueErrorDetailDto;
}

export class SglangStreamErrorDetailDto {
  @ApiProperty({ example: 'The input is longer than the model’s context length.' }) message!: string;
  @ApiProperty({ enum: ['invalid_request_error', 'server_error'] }) type!: string;
  @ApiProperty({ example: 400, description: 'The status the request would have been answered with' }) code!: number;
  @ApiProperty({ description: 'Whether sending the request again may succeed (server errors)' }) retryable!: boolean;
}

/** The error event a `/generate` stream ends with once it has begun: `data: {"error": {...}}` before `data: [DONE]`. */
export class SglangStreamErrorEventDto {
  @ApiProperty({ type: SglangStreamErrorDetailDto }) error!: SglangStreamErrorDetailDto;
}

/**
 * SGLang's error bodies: a refused request (4xx) `{"error": {"message"}}`; a server-side failure
 * (5xx) `{"object": "error", "message", "type": "<status>", "param": null, "code": <status>}`.
 */
export function sglangErrorBody(status: number, message: string): Record<string, unknown> {
  if (status >= 500)
    return {
      object: 'error',
      message,
      type: String(status),
      param: null,
      code: status,
    } satisfies SglangErrorResponseDto;
  return { error: { message } } satisfies SglangValueErrorResponseDto;
}

/**
 * The error event SGLang streams once the event stream has begun (its status is already 200):
 * `data: {"error": {...}}` before `data: [DONE]`.
 */
export function sglangStreamErrorEvent(status: number, message: string): Record<string, unknown> {
  return {
    error: {
      message,
      type: status >= 500 ? 'server_error' : 'invalid_request_error',
      code: status,
      retryable: status >= 500,
    },
  } satisfies SglangStreamErrorEventDto;
}

/** The Swagger of a `/generate` operation (gateway and data proxy). */
export function ApiGenerate(): MethodDecorator {
  return documentAgentEndpoint({
    request: GenerateRequestDto,
    answer: {
      oneOf: [
        { $ref: getSchemaPath(GenerateOutputDto) },
        { type: 'array', items: { $ref: getSchemaPath(GenerateOutputDto) } },
      ],
    },
    event: GenerateOutputDto,
    extraModels: [GenerateSamplingParamsDto],
    description:
      'One output, or a list of them for a batch or n > 1; with `stream: true` server-sent outputs (cumulative, or deltas with --incremental-streaming-output), then `data: [DONE]`',
    errors: [
      { status: 400, description: 'Refused input (a stream: one error event in a 200); nothing recorded' },
      TURN_ERRORS.unknownKey,
      TURN_ERRORS.engineFailed,
    ],
  });
}
