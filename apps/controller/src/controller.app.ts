import type { AppDefinition } from '@app/common';
import { ControllerAppModule } from './app.module.js';
import { CONTROLLER_OPTIONS, expandConfigFile } from './config/controller-options.js';
import { StackService } from './launcher/stack.service.js';

export { CONTROLLER_OPTIONS };

export const CONTROLLER_APP: AppDefinition<typeof CONTROLLER_OPTIONS> = {
  name: 'controller',
  options: CONTROLLER_OPTIONS,
  module: () => ControllerAppModule,
  expandArgv: expandConfigFile,
  defaultLiveness: true,
  // Off the per-token path: every call and log line of a handler carries its trace.
  asyncTraceContext: true,
  readinessChecks: [
    (indicators, modules) => {
      const check = indicators.check('stack');
      const state = modules.get(StackService, { strict: false }).state;
      return Promise.resolve(state === 'ready' ? check.up() : check.down({ message: `stack ${state}` }));
    },
  ],
  swagger: {
    title: 'Controller',
    description:
      'Launches and supervises the stack (engines, router, data proxies, gateway) and gives the trainer one control API: status, set_version, pause, continue, ready trajectories. Every endpoint needs the admin key.',
  },
};
