import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly } from '@app/common';
import { RouteRequestDto, RouteResponseDto } from './dto/route.dto.js';
import { RouteService } from './route.service.js';

@ApiTags('routing')
@AdminOnly()
@Controller()
export class RoutingController {
  constructor(private readonly routes: RouteService) {}

  @Post('route')
  @HttpCode(200)
  @ApiOperation({ summary: 'Which worker serves this request (by session id, session key, admin key or model)' })
  @ApiOkResponse({ type: RouteResponseDto })
  @ApiNotFoundResponse({ description: 'Unknown API key, session or model' })
  @ApiServiceUnavailableResponse({ description: 'No healthy workers, or the pinned worker is unhealthy' })
  route(@Body() body: RouteRequestDto): RouteResponseDto {
    return this.routes.route(body);
  }
}
