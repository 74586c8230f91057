import { Module } from '@nestjs/common';
import { ForwarderService } from './forwarder.service.js';

/** Forwarding the original request bytes to a data proxy and relaying its answer. */
@Module({
  providers: [ForwarderService],
  exports: [ForwarderService],
})
export class ProxyModule {}
