import { Body, Controller, Delete, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { APP_OPTIONS, AppException, ErrorCode } from '@app/common';
import type { EngineSimOptions } from '../config/engine-sim-options.js';
import { EngineService } from './engine.service.js';
import type { RequestFault } from './generation-request.js';
import { asObject, badRequest, optionalNumber, optionalString } from './request-fields.js';
import { ClearFaultsResponseDto, InjectFaultsRequestDto, InjectFaultsResponseDto } from '@app/contracts';

const LOGPROB_FAULTS = ['null', 'clamp', 'bool', 'missing'] as const;
const VLLM_FINISH_FAULTS = ['error', 'repetition'] as const;

/**
 * Test hook (`--enable-fault-injection`; 404 otherwise): the next requests misbehave the ways real
 * engines do, so the data proxy's handling of each can be tested end to end. Each fault applies
 * to one request (`times` repeats it), in the order given.
 */
@ApiTags('engine-sim')
@Controller('engine_sim/faults')
export class FaultsController {
  constructor(
    private readonly engine: EngineService,
    @Inject(APP_OPTIONS) private readonly options: EngineSimOptions,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Queue faults for the next requests (tests only)' })
  @ApiBody({ type: InjectFaultsRequestDto })
  @ApiOkResponse({ type: InjectFaultsResponseDto })
  @ApiResponse({ status: 404, description: 'Fault injection is off (--enable-fault-injection)' })
  inject(@Body() body: unknown): InjectFaultsResponseDto {
    this.requireEnabled();
    const list = asObject(body, 'request body').faults;
    if (!Array.isArray(list) || list.length === 0 || list.length > 1000)
      throw badRequest('faults must be a non-empty list');
    const faults: RequestFault[] = [];
    for (const item of list) {
      const obj = asObject(item, 'fault');
      const fault = parseFault(obj);
      const times = optionalNumber(obj, 'times', { integer: true, min: 1, max: 1000 }) ?? 1;
      for (let i = 0; i < times; i++) faults.push(fault);
    }
    this.engine.injectFaults(faults);
    return { queued: faults.length };
  }

  @Delete()
  @ApiOperation({ summary: 'Drop every queued fault' })
  @ApiOkResponse({ type: ClearFaultsResponseDto })
  @ApiResponse({ status: 404, description: 'Fault injection is off (--enable-fault-injection)' })
  clear(): ClearFaultsResponseDto {
    this.requireEnabled();
    return { cleared: this.engine.clearFaults() };
  }

  private requireEnabled(): void {
    if (!this.options['enable-fault-injection'])
      throw new AppException(404, ErrorCode.NOT_FOUND, 'fault injection is off (--enable-fault-injection)');
  }
}

function parseFault(obj: Record<string, unknown>): RequestFault {
  const fault: RequestFault = {};
  if (obj.request_error !== undefined) {
    const spec = asObject(obj.request_error, 'request_error');
    fault.requestError = {
      statusCode: optionalNumber(spec, 'status_code', { integer: true, min: 400, max: 599 }) ?? 400,
      message: optionalString(spec, 'message', 1000) ?? 'Bad request',
      afterTokens: optionalNumber(spec, 'after_tokens', { integer: true, min: 0 }) ?? 0,
    };
  }
  if (obj.logprob !== undefined) {
    const spec = asObject(obj.logprob, 'logprob');
    const kind = optionalString(spec, 'kind') as (typeof LOGPROB_FAULTS)[number];
    if (!LOGPROB_FAULTS.includes(kind)) throw badRequest(`logprob.kind must be one of ${LOGPROB_FAULTS.join(', ')}`);
    fault.logprob = { kind, index: optionalNumber(spec, 'index', { integer: true, min: 0 }) ?? 0 };
  }
  if (obj.vllm_finish !== undefined) {
    const finish = obj.vllm_finish as (typeof VLLM_FINISH_FAULTS)[number];
    if (!VLLM_FINISH_FAULTS.includes(finish))
      throw badRequest(`vllm_finish must be one of ${VLLM_FINISH_FAULTS.join(', ')}`);
    fault.vllmFinish = finish;
  }
  if (Object.keys(fault).length === 0) throw badRequest('a fault needs request_error, logprob or vllm_finish');
  return fault;
}
