import { Module } from '@nestjs/common';
import { DataProxyControlController } from './control.controller.js';
import { InfBridgeService } from './inf-bridge.service.js';

/** Generation through the engine (InfBridge: pause, resubmit, versions) and its control endpoints. */
@Module({
  controllers: [DataProxyControlController],
  providers: [InfBridgeService],
  exports: [InfBridgeService],
})
export class InferenceModule {}
