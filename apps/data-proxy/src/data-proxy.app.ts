import {
  apiDialectOf,
  DIALECT_ERROR_BODIES,
  dialectErrorBody,
  dialectErrorDto,
  ErrorResponseDto,
  ShardErrorResponseDto,
} from '@app/contracts';
import type { AppDefinition, ErrorBodyInfo } from '@app/common';
import { DataProxyAppModule } from './app.module.js';
import { DATA_PROXY_OPTIONS } from './config/data-proxy-options.js';
import { ConversationBodies } from './chat/conversation-bodies.js';
import { InfBridgeService } from './inference/inf-bridge.service.js';

/** How the data proxy boots; shared by `main.ts` and tests. */
export const DATA_PROXY_APP: AppDefinition<typeof DATA_PROXY_OPTIONS> = {
  name: 'data-proxy',
  options: DATA_PROXY_OPTIONS,
  module: () => DataProxyAppModule,
  // A turn's body is parsed from what is new in it (chat/conversation-bodies.ts).
  jsonBodyReuse: (app) => app.get(ConversationBodies),
  readinessChecks: [
    // `GET /v1/models` neither generates nor waits behind a pause (SGLang's /health does both).
    async (indicators, modules) => {
      const check = indicators.check('engine');
      const reachable = await modules.get(InfBridgeService, { strict: false }).engineReachable();
      return reachable ? check.up() : check.down({ message: 'engine unreachable (GET /v1/models)' });
    },
  ],
  // The tensor shard endpoints answer in the reference's Flask shape, which AReaL's client reads;
  // the agent APIs in their SDK's shape, /generate in SGLang's.
  errorBodyFormatter: (info: ErrorBodyInfo) => {
    if (info.path.startsWith('/data/')) return { status: 'error', message: info.message };
    const dialect = apiDialectOf(info.path);
    return dialect ? dialectErrorBody(dialect, info.status, info.message, info.code, info.param) : info.defaultBody;
  },
  swagger: {
    title: 'Data proxy',
    description:
      'One per inference engine: OpenAI-compatible chat with the model’s own chat template and tokenizer, generation through the engine with exact token ids, log-probs and weight versions, pause/continue/resubmit, sessions. Control endpoints need the admin key.',
    errorBody: (path, status) => {
      if (path.startsWith('/data/')) return ShardErrorResponseDto;
      const dialect = apiDialectOf(path);
      return dialect ? dialectErrorDto(dialect, status) : ErrorResponseDto;
    },
    errorBodies: [ShardErrorResponseDto, ...DIALECT_ERROR_BODIES],
  },
};
