import { Module } from '@nestjs/common';
import { COMMON_OPTIONS, type AppDefinition, type OptionSpecs } from '@app/common';

export const GATEWAY_OPTIONS = {
  ...COMMON_OPTIONS,
  port: { ...COMMON_OPTIONS.port, default: 8080 },
} as const satisfies OptionSpecs;

/** Placeholder: serves /health, /health/ready, /metrics and /docs until its issue fills it in. */
@Module({})
class PlaceholderModule {}

export const GATEWAY_APP: AppDefinition<typeof GATEWAY_OPTIONS> = {
  name: 'gateway',
  options: GATEWAY_OPTIONS,
  module: () => PlaceholderModule,
  defaultLiveness: true,
  swagger: { title: 'Gateway', description: 'Gateway service (not yet implemented beyond health).' },
};
