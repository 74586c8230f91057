import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One item of a validation failure, in the reference's (FastAPI/pydantic) shape. */
export class ValidationIssueDto {
  @ApiProperty({ type: [Object], example: ['body', 'version'], description: 'Where: `body` then the field path' })
  loc!: (string | number)[];
  @ApiProperty({ example: 'version must be a non-negative integer' }) msg!: string;
  @ApiProperty({ example: 'isInt' }) type!: string;
}

/**
 * The error body of the router, the data proxy and the controller (the reference's FastAPI
 * shape, plus a stable `code` to branch on).
 */
export class ErrorResponseDto {
  @ApiProperty({
    description: 'What went wrong: a message, or the list of validation issues (422)',
    oneOf: [{ type: 'string' }, { type: 'array', items: { $ref: '#/components/schemas/ValidationIssueDto' } }],
    example: 'Unknown API key',
  })
  detail!: string | ValidationIssueDto[];
  @ApiProperty({ description: 'Stable machine-readable error code; never renamed', example: 'UNKNOWN_API_KEY' })
  code!: string;
}

/** The gateway's error body (the reference gateway answers `{"error": ...}`), plus `code`. */
export class GatewayErrorResponseDto {
  @ApiProperty({ example: 'Unknown API key' }) error!: string;
  @ApiProperty({ description: 'Stable machine-readable error code; never renamed', example: 'UNKNOWN_API_KEY' })
  code!: string;
}

/** SGLang's error body, as engine-sim answers on SGLang paths. */
export class SglangErrorResponseDto {
  @ApiProperty({ example: 'error' }) object!: string;
  @ApiProperty({ example: 'max_new_tokens must be a non-negative integer' }) message!: string;
  @ApiProperty({ example: 'Bad Request' }) type!: string;
  @ApiProperty({ nullable: true, type: String }) param!: string | null;
  @ApiProperty({ example: 400 }) code!: number;
}

export class VllmErrorDetailDto {
  @ApiProperty() message!: string;
  @ApiProperty({ example: 'BadRequestError' }) type!: string;
  @ApiProperty({ nullable: true, type: String }) param!: string | null;
  @ApiProperty({ example: 400 }) code!: number;
}

/** vLLM's (OpenAI-style) error body, as engine-sim answers on vLLM paths. */
export class VllmErrorResponseDto {
  @ApiProperty({ type: VllmErrorDetailDto }) error!: VllmErrorDetailDto;
}

/** The data proxy's tensor-shard endpoints answer errors in the reference's Flask shape. */
export class ShardErrorResponseDto {
  @ApiProperty({ example: 'error' }) status!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional() shard_id?: string;
}

/** `{"status": "ok"}`-style acknowledgements. */
export class StatusResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
}

/** `GET /health/ready` (NestJS Terminus): `ok` with 200, `error` with 503. */
export class ReadinessResponseDto {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] }) status!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Checks that are up' })
  info?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Checks that are down, and why' })
  error?: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: Record<string, unknown>;
}
