import { Module } from '@nestjs/common';
import { RouterStateModule } from '../router-state.module.js';
import { CapacityController } from './capacity.controller.js';

/** Capacity permits (the staleness budget's session starts). */
@Module({
  imports: [RouterStateModule],
  controllers: [CapacityController],
})
export class CapacityModule {}
