import { Body, Controller, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AdminOnly, AppException, ErrorCode } from '@app/common';
import { RouterGet, RouterPost } from '../router-operation.js';
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

  @RouterPost('register_model', {
    summary: 'Register or replace a model and the data proxies that serve it',
    answer: RegisterModelResponseDto,
    errors: { 503: 'No addresses given and no healthy worker to default to' },
  })
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

  @RouterGet('models', { summary: 'Registered model names, in registration order', answer: ModelsResponseDto })
  list(): ModelsResponseDto {
    return { models: this.state.models.names() };
  }

  @RouterGet('models/:name', {
    summary: 'One model entry (the gateway restores it when a registration must be rolled back)',
    answer: ModelEntryResponseDto,
    errors: { 404: 'Unknown model' },
  })
  get(@Param('name') name: string): ModelEntryResponseDto {
    const entry = this.state.models.get(name);
    if (!entry) throw new AppException(404, ErrorCode.MODEL_NOT_FOUND, `Model '${name}' not found`);
    return { model: entry.name, url: entry.url, api_key: entry.apiKey, data_proxy_addrs: [...entry.dataProxyAddrs] };
  }

  @RouterPost('remove_model', {
    summary: 'Remove a model',
    answer: RemoveModelResponseDto,
    errors: { 404: 'Unknown model' },
  })
  remove(@Body() body: RemoveModelRequestDto): RemoveModelResponseDto {
    if (!this.state.models.remove(body.name)) {
      throw new AppException(404, ErrorCode.MODEL_NOT_FOUND, `External model '${body.name}' not found`);
    }
    return { status: 'ok', name: body.name };
  }
}
