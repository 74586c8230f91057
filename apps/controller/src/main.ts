import { APP_OPTIONS, bootstrapApp } from '@app/common';
import type { ControllerOptions } from './config/controller-options.js';
import { CONTROLLER_APP } from './controller.app.js';
import { failureReport, readyBanner } from './launcher/ready-banner.js';
import { StackService } from './launcher/stack.service.js';

// The controller's process: serve the control API, bring the stack up behind it, then say where
// everything is, or why it failed (exit 1, with the stack already stopped).
const app = await bootstrapApp(CONTROLLER_APP);
if (app) {
  const stack = app.get(StackService);
  await stack.whenStarted();
  if (stack.state === 'ready') process.stdout.write(`${readyBanner(stack, app.get<ControllerOptions>(APP_OPTIONS))}\n`);
  else if (stack.state === 'failed') {
    process.stderr.write(`${failureReport(stack)}\n`);
    process.exit(1);
  }
}
