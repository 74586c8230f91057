import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ReadyLoopService } from './ready-loop.service.js';
import { RewardsController } from './rewards.controller.js';
import { RewardsService } from './rewards.service.js';

/** Rewards close trajectories; the ready loop finalises them and announces them to the controller. */
@Module({
  imports: [SessionsModule],
  controllers: [RewardsController],
  providers: [RewardsService, ReadyLoopService],
})
export class RewardsModule {}
