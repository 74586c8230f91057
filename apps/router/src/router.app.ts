import type { AppDefinition } from '@app/common';
import { RouterAppModule } from './app.module.js';
import { ROUTER_OPTIONS } from './config/router-options.js';

/** How the router boots; shared by `main.ts` and in-process tests. */
export const ROUTER_APP: AppDefinition<typeof ROUTER_OPTIONS> = {
  name: 'router',
  options: ROUTER_OPTIONS,
  module: () => RouterAppModule,
  swagger: {
    title: 'Router',
    description:
      'Worker registry and health, session pinning, model registry, capacity permits and routing strategies. Every endpoint but /health, /health/ready and /metrics requires the admin key.',
  },
};
