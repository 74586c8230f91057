import { Module } from '@nestjs/common';
import { COMMON_OPTIONS, type AppDefinition, type OptionSpecs } from '@app/common';

export const DATA_PROXY_OPTIONS = {
  ...COMMON_OPTIONS,
  port: { ...COMMON_OPTIONS.port, default: 8082 },
} as const satisfies OptionSpecs;

/** Placeholder: serves /health, /health/ready, /metrics and /docs until its issue fills it in. */
@Module({})
class PlaceholderModule {}

export const DATA_PROXY_APP: AppDefinition<typeof DATA_PROXY_OPTIONS> = {
  name: 'data-proxy',
  options: DATA_PROXY_OPTIONS,
  module: () => PlaceholderModule,
  defaultLiveness: true,
  swagger: { title: 'Data proxy', description: 'Data proxy service (not yet implemented beyond health).' },
};
