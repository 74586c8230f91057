import { Module } from '@nestjs/common';
import { RouterStateModule } from '../router-state.module.js';
import { PinsController } from './pins.controller.js';

/** The pin-change stream gateways keep their pin caches exact with. */
@Module({
  imports: [RouterStateModule],
  controllers: [PinsController],
})
export class PinsModule {}
