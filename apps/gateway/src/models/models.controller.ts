import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminOnly, AdminOrSessionKey, ErrorCode, isJsonObject } from '@app/common';
import { gatewayError } from '../proxy/gateway-error.js';
import { ModelRegistrationService } from './model-registration.service.js';
import { RouterClient } from '../router-client/router-client.service.js';
import {
  GrantCapacityResponseDto,
  ModelEntryResponseDto,
  ModelsResponseDto,
  OpenAiModelListDto,
  RegisterModelFailureDto,
  GatewayRegisterModelRequestDto,
  RegisterModelResponseDto,
} from '@app/contracts';

/** Models (router + every data proxy), the OpenAI model list, capacity permits. */
@ApiTags('models')
@Controller()
export class GatewayModelsController {
  constructor(
    private readonly router: RouterClient,
    private readonly registrations: ModelRegistrationService,
  ) {}

  @Post('register_model')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({
    summary:
      'Register a model in the router, then on its data proxies in parallel; if any proxy fails, what this call registered is rolled back and the previous registration restored',
  })
  @ApiBody({ type: GatewayRegisterModelRequestDto })
  @ApiOkResponse({ type: RegisterModelResponseDto })
  @ApiResponse({
    status: 502,
    description: 'A data proxy refused it: everything this call registered was rolled back',
    type: RegisterModelFailureDto,
  })
  @ApiResponse({ status: 503, description: 'No healthy data proxy' })
  async register(
    @Body() body: GatewayRegisterModelRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<RegisterModelResponseDto> {
    const entry: ModelEntryResponseDto = {
      model: body.model,
      url: body.url ?? '',
      api_key: body.api_key ?? null,
      data_proxy_addrs: body.data_proxy_addrs ?? [],
    };
    return this.registrations.register(entry, request.id);
  }

  @Get('models')
  @AdminOnly()
  @ApiOperation({ summary: "The router's model names (the reference's shape)" })
  @ApiOkResponse({ type: ModelsResponseDto })
  async models(@Req() request: FastifyRequest): Promise<ModelsResponseDto> {
    const response = await this.router.raw<ModelsResponseDto>('GET', '/models', undefined, request.id);
    if (response.status !== 200 || !isJsonObject(response.json))
      throw gatewayError(502, ErrorCode.UPSTREAM_BAD_RESPONSE, `Router returned HTTP ${response.status}`);
    return response.json;
  }

  @Get('v1/models')
  // Any key the router knows may list models (OpenAI SDKs call this with the session key).
  @AdminOrSessionKey()
  @ApiOperation({ summary: 'OpenAI-compatible model list; readable with the admin key or any live session key' })
  @ApiOkResponse({ type: OpenAiModelListDto })
  @ApiResponse({ status: 401, description: 'Unknown or expired session key' })
  async openAiModels(@Req() request: FastifyRequest): Promise<OpenAiModelListDto> {
    const response = await this.router.raw<ModelsResponseDto>('GET', '/models', undefined, request.id);
    const names = isJsonObject(response.json) && Array.isArray(response.json.models) ? response.json.models : [];
    return {
      object: 'list',
      data: names.map((id) => ({ id, object: 'model', created: 0, owned_by: 'rollout-inference-service' })),
    };
  }

  @Post('grant_capacity')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Grant one staleness permit in the router' })
  @ApiOkResponse({ type: GrantCapacityResponseDto })
  @ApiResponse({ status: 502, description: 'The router failed' })
  async grant(@Req() request: FastifyRequest): Promise<GrantCapacityResponseDto> {
    const response = await this.router.raw<GrantCapacityResponseDto>('POST', '/grant_capacity', undefined, request.id);
    if (response.status !== 200 || !isJsonObject(response.json))
      throw gatewayError(
        502,
        ErrorCode.UPSTREAM_BAD_RESPONSE,
        `Failed to grant capacity in router: HTTP ${response.status}`,
      );
    return response.json;
  }
}
