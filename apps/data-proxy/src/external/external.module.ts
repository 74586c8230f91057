import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ExternalModelsController, ExternalModelsService } from './external-models.js';

/** OpenAI-compatible providers registered for a model name, answered and recorded as messages. */
@Module({
  imports: [SessionsModule],
  controllers: [ExternalModelsController],
  providers: [ExternalModelsService],
  exports: [ExternalModelsService],
})
export class ExternalModelsModule {}
