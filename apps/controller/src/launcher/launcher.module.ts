import { Module } from '@nestjs/common';
import { StackService } from './stack.service.js';

/** The stack: launched as local processes or attached to, registered, watched. */
@Module({
  providers: [StackService],
  exports: [StackService],
})
export class LauncherModule {}
