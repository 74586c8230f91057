import { DEFAULT_ADMIN_API_KEY } from '@app/common';
import type { ControllerOptions } from '../config/controller-options.js';
import type { StackService } from './stack.service.js';

/** What a person who ran `npm start` reads once the stack is up: where things are and one call to try. */
export function readyBanner(stack: StackService, options: ControllerOptions): string {
  const gw = stack.gatewayAddr;
  const controller = stack.controllerUrl;
  return [
    '',
    `  Stack ready (${options.mode} mode).`,
    `  Gateway (OpenAI-compatible):  ${gw}/v1          Swagger: ${gw}/docs`,
    `  Controller (trainer API):     ${controller}    Swagger: ${controller}/docs`,
    // The default is the reference's well-known key: printing it reveals nothing. A configured key is never printed.
    options['admin-api-key'] === DEFAULT_ADMIN_API_KEY
      ? `  export ADMIN_KEY=${DEFAULT_ADMIN_API_KEY}     (the default key: set admin_api_key before exposing anything)`
      : '  export ADMIN_KEY=<your admin_api_key>',
    '',
    '  Try it:',
    `    curl -s ${gw}/v1/chat/completions -H "authorization: Bearer $ADMIN_KEY" -H 'content-type: application/json' \\`,
    `      -d '{"model":"${options.model}","messages":[{"role":"user","content":"Hello"}]}'`,
    '',
  ].join('\n');
}

/** Why the stack did not start, with the last lines of each service that failed. */
export function failureReport(stack: StackService): string {
  const parts = [`stack failed to start: ${stack.error ?? 'unknown error'}`];
  for (const p of stack.failedProcesses) parts.push(`--- last lines of ${p.name} ---\n${p.tail().join('\n')}`);
  return parts.join('\n');
}
