import { Module } from '@nestjs/common';
import { COMMON_OPTIONS, type AppDefinition, type OptionSpecs } from '@app/common';

export const ENGINE_SIM_OPTIONS = {
  ...COMMON_OPTIONS,
  port: { ...COMMON_OPTIONS.port, default: 30000 },
} as const satisfies OptionSpecs;

/** Placeholder: serves /health, /health/ready, /metrics and /docs until its issue fills it in. */
@Module({})
class PlaceholderModule {}

export const ENGINE_SIM_APP: AppDefinition<typeof ENGINE_SIM_OPTIONS> = {
  name: 'engine-sim',
  options: ENGINE_SIM_OPTIONS,
  module: () => PlaceholderModule,
  defaultLiveness: true,
  swagger: { title: 'Engine simulator', description: 'Engine simulator service (not yet implemented beyond health).' },
};
