import { Module } from '@nestjs/common';
import { RouterClientModule } from '../router-client/router-client.module.js';
import { ModelRegistrationService } from './model-registration.service.js';
import { GatewayModelsController } from './models.controller.js';

/** Model registration across the router and the data proxies, the model list, capacity permits. */
@Module({
  imports: [RouterClientModule],
  controllers: [GatewayModelsController],
  providers: [ModelRegistrationService],
})
export class ModelsModule {}
