import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module.js';
import { LauncherModule } from '../launcher/launcher.module.js';
import { OnlineModule } from '../online/online.module.js';
import { ControllerControlController } from './control.controller.js';
import { ControlService } from './control.service.js';

/** The trainer's control API: status, versions, pause/continue, offload/onload, model registration. */
@Module({
  imports: [LauncherModule, OnlineModule, ClientsModule],
  controllers: [ControllerControlController],
  providers: [ControlService],
  exports: [ControlService],
})
export class ControlModule {}
