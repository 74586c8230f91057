import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

/** `GET /health` and `GET /health_generate`: 200 with an empty body, as SGLang and vLLM answer. */
@ApiTags('health')
@Controller()
export class EngineHealthController {
  @Get(['health', 'health_generate'])
  @ApiOkResponse({ description: 'The engine is up (empty body)' })
  health(@Res() reply: FastifyReply): void {
    void reply.status(200).send('');
  }
}
