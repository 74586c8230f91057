import { Module } from '@nestjs/common';
import { RouterStateModule } from '../router-state.module.js';
import { RouterHealthController } from './router-health.controller.js';

/** The router's liveness and table sizes. */
@Module({
  imports: [RouterStateModule],
  controllers: [RouterHealthController],
})
export class RouterHealthModule {}
