import { Module } from '@nestjs/common';
import { InferenceModule } from '../inference/inference.module.js';
import { ServingModule } from '../serving/serving.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { RouterRegistrationService } from './router-registration.service.js';

/** Self-registration with the router, heartbeats, and the session restore a new router needs. */
@Module({
  imports: [InferenceModule, ServingModule, SessionsModule],
  providers: [RouterRegistrationService],
})
export class RegistrationModule {}
