import { MISSING_BEARER, type AppDefinition, type ErrorBodyInfo } from '@app/common';
import {
  apiDialectOf,
  DIALECT_ERROR_BODIES,
  dialectErrorBody,
  dialectErrorDto,
  ErrorResponseDto,
  GatewayErrorResponseDto,
} from '@app/contracts';
import { GatewayAppModule } from './app.module.js';
import { GATEWAY_OPTIONS } from './config/gateway-options.js';
import { RouterClient } from './router-client/router-client.service.js';

/** How the gateway boots; shared by `main.ts` and tests. */
export const GATEWAY_APP: AppDefinition<typeof GATEWAY_OPTIONS> = {
  name: 'gateway',
  options: GATEWAY_OPTIONS,
  module: () => GatewayAppModule,
  authMessages: { malformed: MISSING_BEARER, notAdmin: 'Admin API key required.' },
  rawJsonBodies: true,
  // What the gateway decides (bad bodies, limits, unknown routes) in the reference gateway's shape;
  // the admin guard's 401/403 keep the common shape, as the reference's auth dependency answers.
  // The agent APIs (chat, Responses, Messages, completions) answer in their SDK's shape, and SGLang's
  // /generate in SGLang's, whatever decided the error (auth, routing, transport), so their clients
  // always read the message.
  errorBodyFormatter: Object.assign(
    (info: ErrorBodyInfo) => {
      const dialect = apiDialectOf(info.path);
      if (dialect) return dialectErrorBody(dialect, info.status, info.message, info.code, info.param);
      if (info.explicit) return info.defaultBody;
      return info.status === 401 || info.status === 403 ? info.defaultBody : { error: info.message, code: info.code };
    },
    { explicitBodies: true },
  ),
  readinessChecks: [
    async (indicators, modules) => {
      const check = indicators.check('router');
      const reachable = await modules.get(RouterClient, { strict: false }).reachable();
      return reachable ? check.up() : check.down({ message: 'router unreachable' });
    },
  ],
  swagger: {
    title: 'Gateway',
    description:
      'The OpenAI-compatible edge agents talk to: /v1/chat/completions with a session key (or the admin key for the HITL session), sessions, rewards, export, and the trainer’s per-worker controls. Stateless: it asks the router where a request goes and forwards the original bytes.',
    // The admin guard answers in the common shape; everything the gateway decides, in the reference gateway's.
    errorBody: (path, status) => {
      const dialect = apiDialectOf(path);
      if (dialect) return dialectErrorDto(dialect, status);
      return status === 401 || status === 403 ? ErrorResponseDto : GatewayErrorResponseDto;
    },
    errorBodies: [GatewayErrorResponseDto, ...DIALECT_ERROR_BODIES],
  },
};
