import { PassThrough } from 'node:stream';
import { BeforeApplicationShutdown, Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminOnly, ApiEventStream, sendEventStream } from '@app/common';
import { RouterState } from '../router-state.js';
import { PinEventDto } from '@app/contracts';

const KEEP_ALIVE_MS = 10_000;

/** The pin-change stream gateways cache session pins under (admin key). */
@ApiTags('routing')
@AdminOnly()
@Controller()
export class PinsController implements BeforeApplicationShutdown {
  /** Open streams, ended on shutdown so that they do not hold the server open for its grace period. */
  private readonly streams = new Set<PassThrough>();

  constructor(private readonly state: RouterState) {}

  beforeApplicationShutdown(): void {
    for (const out of this.streams) out.end();
  }

  @Get('pins/events')
  @ApiOperation({
    summary:
      'Server-sent events: {"type":"hello","seq"} then {"type":"invalidate","seq","keys"} / {"type":"flush","seq"} on every pin change',
  })
  @ApiEventStream(PinEventDto, 'A keep-alive comment every 10 s.')
  events(@Res() reply: FastifyReply): void {
    const out = sendEventStream(reply);
    const write = (payload: PinEventDto): void => {
      out.write(`data: ${JSON.stringify(payload)}\n\n`);
    };
    const unsubscribe = this.state.pins.subscribe(write);
    const keepAlive = setInterval(() => out.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    this.streams.add(out);
    reply.raw.once('close', () => {
      this.streams.delete(out);
      unsubscribe();
      clearInterval(keepAlive);
      out.destroy();
    });
    write({ type: 'hello', seq: this.state.pins.seq });
  }
}
