import { Module } from '@nestjs/common';
import { RouterStateModule } from '../router-state.module.js';
import { RouterModelsController } from './models.controller.js';

/** The registered models. */
@Module({
  imports: [RouterStateModule],
  controllers: [RouterModelsController],
})
export class ModelsModule {}
