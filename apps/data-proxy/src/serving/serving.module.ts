import { Module } from '@nestjs/common';
import { ServingAddress } from './serving-address.js';

/** Where this data proxy is reached (registration, shard references). */
@Module({ providers: [ServingAddress], exports: [ServingAddress] })
export class ServingModule {}
