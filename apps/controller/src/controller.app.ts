import { Module } from '@nestjs/common';
import { COMMON_OPTIONS, type AppDefinition, type OptionSpecs } from '@app/common';

export const CONTROLLER_OPTIONS = {
  ...COMMON_OPTIONS,
  port: { ...COMMON_OPTIONS.port, default: 8090 },
} as const satisfies OptionSpecs;

/** Placeholder: serves /health, /health/ready, /metrics and /docs until its issue fills it in. */
@Module({})
class PlaceholderModule {}

export const CONTROLLER_APP: AppDefinition<typeof CONTROLLER_OPTIONS> = {
  name: 'controller',
  options: CONTROLLER_OPTIONS,
  module: () => PlaceholderModule,
  defaultLiveness: true,
  swagger: { title: 'Controller', description: 'Controller service (not yet implemented beyond health).' },
};
