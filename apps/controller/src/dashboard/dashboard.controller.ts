import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { Controller, Get, Header, Res, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AdminOnly, ApiEventStream, sendEventStream } from '@app/common';
import { DashboardSnapshotDto } from '@app/contracts';
import { DashboardService } from './dashboard.service.js';

/**
 * The page's files: public/ beside this module (index.html, dashboard.css, and dashboard.js that
 * the build compiles from dashboard.ts), and uPlot's browser build and style from the installed
 * package (no CDN). Both are served under /dashboard/assets/.
 */
const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));
const PAGE = readFileSync(join(PUBLIC_DIR, 'index.html'), 'utf8');

/** What /dashboard/assets/ serves: the page's script and style, uPlot's build and style; nothing else in those folders. */
const ASSETS = new Set(['dashboard.js', 'dashboard.js.map', 'dashboard.css', 'uPlot.iife.min.js', 'uPlot.min.css']);

const html = (example: string) => ({
  content: { 'text/html': { schema: { type: 'string', example } } },
});

/**
 * The live dashboard. The page and its chart library are open (they hold no data); the snapshot
 * stream needs the admin key, which the page sends in an Authorization header.
 */
@ApiTags('dashboard')
@Controller('dashboard')
export class ControllerDashboardController implements OnModuleInit, BeforeApplicationShutdown {
  private readonly streams = new Set<PassThrough>();

  constructor(
    private readonly dashboard: DashboardService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** The page's static files, open like the page (they hold no data). Registered before the server starts. */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    void fastify.register(fastifyStatic, {
      root: [PUBLIC_DIR, UPLOT_DIR],
      prefix: '/dashboard/assets/',
      allowedPath: (path) => ASSETS.has(path.replace(/^\//, '')),
      decorateReply: false,
      cacheControl: true,
      maxAge: 0,
    });
  }

  beforeApplicationShutdown(): void {
    for (const out of this.streams) out.end();
  }

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @ApiOperation({ summary: 'The live dashboard (log in with the admin key; it stays in the browser tab)' })
  @ApiOkResponse({ description: 'The page', ...html('<!doctype html><title>Rollout dashboard</title>…') })
  page(): string {
    return PAGE;
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
