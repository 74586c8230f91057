import { Module } from '@nestjs/common';
import { RouterStateModule } from '../router-state.module.js';
import { RouteService } from './route.service.js';
import { RoutingController } from './routing.controller.js';

/** `/route`: which data proxy serves a session. */
@Module({
  imports: [RouterStateModule],
  controllers: [RoutingController],
  providers: [RouteService],
})
export class RoutingModule {}
