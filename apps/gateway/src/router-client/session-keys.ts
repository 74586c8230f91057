import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { SessionKeyValidator } from '@app/common';
import { RouterClient } from './router-client.service.js';

/**
 * A session key is live when the router can route it (it holds the pins); an unknown key is the
 * router client's 401 `UNKNOWN_API_KEY`.
 */
@Injectable()
export class GatewaySessionKeys implements SessionKeyValidator {
  constructor(private readonly router: RouterClient) {}

  async assertLive(key: string, request: FastifyRequest): Promise<void> {
    await this.router.route({ api_key: key, path: request.url.split('?')[0] }, request.id);
  }
}
