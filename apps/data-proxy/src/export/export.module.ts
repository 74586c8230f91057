import { Module } from '@nestjs/common';
import { ServingModule } from '../serving/serving.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { DataController, ShardReadGuard } from './data.controller.js';
import { ExportController } from './export.controller.js';
import { ExportService } from './export.service.js';
import { ShardStore } from './shard-store.service.js';

/** Ready trajectories as training data, and the tensor shards trainers fetch from `/data`. */
@Module({
  imports: [SessionsModule, ServingModule],
  controllers: [ExportController, DataController],
  providers: [ExportService, ShardStore, ShardReadGuard],
})
export class ExportModule {}
