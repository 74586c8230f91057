import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly, AppException, ErrorCode } from '@app/common';
import { RouterState } from '../router-state.js';
import {
  ModelEntryResponseDto,
  ModelsResponseDto,
  RegisterModelRequestDto,
  RegisterModelResponseDto,
  RemoveModelRequestDto,
  RemoveModelResponseDto,
} from '@app/contracts';

@ApiTags('models')
@AdminOnly()
@Controller()
export class RouterModelsController {
  constructor(private readonly state: RouterState) {}

  @Post('register_model')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register or replace a model and the data proxies that serve it' })
  @ApiOkResponse({ type: RegisterModelResponseDto })
  @ApiServiceUnavailableResponse({ description: 'No addresses given and no healthy worker to default to' })
  register(@Body() body: RegisterModelRequestDto): RegisterModelResponseDto {
    let addrs = body.data_proxy_addrs ?? [];
    if (addrs.length === 0) {
      addrs = this.state.workers.healthyWorkers().map((worker) => worker.addr);
      if (addrs.length === 0) throw new AppException(503, ErrorCode.NO_HEALTHY_WORKERS, 'No healthy workers');
    }
    this.state.models.register({
      name: body.model,
      url: body.url ?? '',
      apiKey: body.api_key ?? null,
      dataProxyAddrs: addrs,
    });
    return { status: 'ok', model: body.model, data_proxy_addrs: addrs };
  }

  @Get('models')
  @ApiOperation({ summary: 'Registered model names, in registration order' })
  @ApiOkResponse({ type: ModelsResponseDto })
  list(): ModelsResponseDto {
    return { models: this.state.models.names() };
  }

  @Get('models/:name')
  @ApiOperation({ summary: 'One model entry (the gateway restores it when a registration must be rolled back)' })
  @ApiOkResponse({ type: ModelEntryResponseDto })
  @ApiNotFoundResponse({ description: 'Unknown model' })
  get(@Param('name') name: string): ModelEntryResponseDto {
    const entry = this.state.models.get(name);
    if (!entry) throw new AppException(404, ErrorCode.MODEL_NOT_FOUND, `Model '${name}' not found`);
    return { model: entry.name, url: entry.url, api_key: entry.apiKey, data_proxy_addrs: [...entry.dataProxyAddrs] };
  }

  @Post('remove_model')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove a model' })
  @ApiOkResponse({ type: RemoveModelResponseDto })
  @ApiNotFoundResponse({ description: 'Unknown model' })
  remove(@Body() body: RemoveModelRequestDto): RemoveModelResponseDto {
    if (!this.state.models.remove(body.name)) {
      throw new AppException(404, ErrorCode.MODEL_NOT_FOUND, `External model '${body.name}' not found`);
    }
    return { status: 'ok', name: body.name };
  }
}
