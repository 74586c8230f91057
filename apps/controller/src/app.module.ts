import { Module } from '@nestjs/common';
import { ControlController } from './control/control.controller.js';
import { ControlService } from './control/control.service.js';
import { StackService } from './launcher/stack.service.js';
import { ReadyQueueService } from './online/ready-queue.service.js';

/** The controller: launches (or attaches to) the stack and gives the trainer one control API. */
@Module({
  controllers: [ControlController],
  providers: [StackService, ControlService, ReadyQueueService],
})
export class ControllerAppModule {}
