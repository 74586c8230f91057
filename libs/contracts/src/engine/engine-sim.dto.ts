import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class RequestErrorFaultDto {
  @ApiPropertyOptional({ minimum: 400, maximum: 599, default: 400 }) status_code?: number;
  @ApiPropertyOptional({ default: 'Bad request' }) message?: string;
  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'Tokens generated before the error' })
  after_tokens?: number;
}

export class LogprobFaultDto {
  @ApiProperty({ description: 'What the engine does wrong to the log-prob of token `index`' }) kind!: string;
  @ApiPropertyOptional({ minimum: 0, default: 0 }) index?: number;
}

/** One fault for the next request(s): at least one of request_error, logprob, vllm_finish. */
export class EngineFaultDto {
  @ApiPropertyOptional({ type: RequestErrorFaultDto }) request_error?: RequestErrorFaultDto;
  @ApiPropertyOptional({ type: LogprobFaultDto }) logprob?: LogprobFaultDto;
  @ApiPropertyOptional({ description: "vLLM finish reason to report (e.g. 'repetition', 'error')" })
  vllm_finish?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 1, description: 'How many requests get it' })
  times?: number;
}

/** engine-sim's fault injection (`--enable-fault-injection`): how real engines have been seen to misbehave. */
export class InjectFaultsRequestDto {
  @ApiProperty({ type: [EngineFaultDto] }) faults!: EngineFaultDto[];
}

export class InjectFaultsResponseDto {
  @ApiProperty({ example: 2, description: 'Faults queued by this call' }) queued!: number;
}

export class ClearFaultsResponseDto {
  @ApiProperty({ example: 2 }) cleared!: number;
}
