import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { PassThrough } from 'node:stream';
import { Controller, Get, Header, Res, type BeforeApplicationShutdown } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminOnly, ApiEventStream, sendEventStream } from '@app/common';
import { DashboardSnapshotDto } from '@app/contracts';
import { DASHBOARD_HTML } from './dashboard-page.js';
import { DashboardService } from './dashboard.service.js';

/** uPlot's browser build and style, read once from the installed package (no CDN). */
const requireFromHere = createRequire(import.meta.url);
const UPLOT_JS = readFileSync(requireFromHere.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
const UPLOT_CSS = readFileSync(requireFromHere.resolve('uplot/dist/uPlot.min.css'), 'utf8');

const html = (example: string) => ({
  content: { 'text/html': { schema: { type: 'string', example } } },
});

/**
 * The live dashboard. The page and its chart library are open (they hold no data); the snapshot
 * stream needs the admin key, which the page sends in an Authorization header.
 */
@ApiTags('dashboard')
@Controller('dashboard')
export class ControllerDashboardController implements BeforeApplicationShutdown {
  private readonly streams = new Set<PassThrough>();

  constructor(private readonly dashboard: DashboardService) {}

  beforeApplicationShutdown(): void {
    for (const out of this.streams) out.end();
  }

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @ApiOperation({ summary: 'The live dashboard (log in with the admin key; it stays in the browser tab)' })
  @ApiOkResponse({ description: 'The page', ...html('<!doctype html><title>Rollout dashboard</title>…') })
  page(): string {
    return DASHBOARD_HTML;
  }

  @Get('assets/uplot.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'public, max-age=86400')
  @ApiOperation({ summary: 'uPlot, the chart library of the dashboard (served from the package)' })
  @ApiOkResponse({
    description: 'JavaScript',
    content: { 'text/javascript': { schema: { type: 'string', example: 'var uPlot=…' } } },
  })
  uplotJs(): string {
    return UPLOT_JS;
  }

  @Get('assets/uplot.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'public, max-age=86400')
  @ApiOperation({ summary: 'uPlot’s style sheet' })
  @ApiOkResponse({ description: 'CSS', content: { 'text/css': { schema: { type: 'string', example: '.uplot{…}' } } } })
  uplotCss(): string {
    return UPLOT_CSS;
  }

  @Get('events')
  @AdminOnly()
  @ApiOperation({ summary: 'Server-sent events: one DashboardSnapshotDto a second while connected' })
  @ApiEventStream(DashboardSnapshotDto, 'One snapshot at once, then one a second; built once for every viewer.')
  events(@Res() reply: FastifyReply): void {
    const out = sendEventStream(reply);
    this.streams.add(out);
    const stop = this.dashboard.watch((snapshot) => out.write(`data: ${JSON.stringify(snapshot)}\n\n`));
    reply.raw.once('close', () => {
      stop();
      this.streams.delete(out);
      out.destroy();
    });
  }
}
