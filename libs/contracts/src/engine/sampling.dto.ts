import { ApiPropertyOptional } from '@nestjs/swagger';

/** Sampling fields SGLang's `sampling_params` and vLLM's completion body share, under the same names. */
export class EngineSamplingFieldsDto {
  @ApiPropertyOptional({ minimum: 0 }) temperature?: number;
  @ApiPropertyOptional() top_p?: number;
  @ApiPropertyOptional() top_k?: number;
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] })
  stop?: string | string[];
  @ApiPropertyOptional({ type: [Number] }) stop_token_ids?: number[];
  @ApiPropertyOptional() ignore_eos?: boolean;
  @ApiPropertyOptional() skip_special_tokens?: boolean;
  @ApiPropertyOptional() frequency_penalty?: number;
  @ApiPropertyOptional({ minimum: -2, maximum: 2, description: 'Subtracted once from tokens already generated' })
  presence_penalty?: number;
  @ApiPropertyOptional({
    minimum: 0,
    exclusiveMinimum: true,
    description:
      'Multiplicative penalty on tokens already seen (1 = off; SGLang: output tokens, vLLM: prompt and output)',
  })
  repetition_penalty?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: 'Minimum probability relative to the most likely token' })
  min_p?: number;
}
