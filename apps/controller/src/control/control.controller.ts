import { Body, Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { abortOnClientClose, AdminOnly, AppException, ErrorCode } from '@app/common';
import { StackService } from '../launcher/stack.service.js';
import { ReadyQueueService } from '../online/ready-queue.service.js';
import { ControlService } from './control.service.js';

const MAX_WAIT_COUNT = 4096;
const MAX_WAIT_S = 3600;

/** The trainer's control API. Every endpoint needs the admin key. */
@ApiTags('control')
@AdminOnly()
@Controller()
export class ControlController {
  constructor(
    private readonly control: ControlService,
    private readonly stack: StackService,
    private readonly ready: ReadyQueueService,
  ) {}

  @Get('status')
  @ApiOperation({ summary: 'Topology, health, version, paused state, capacity, launched processes, ready queue' })
  status(): Promise<Record<string, unknown>> {
    return this.control.status();
  }

  @Get('get_version')
  @ApiOperation({ summary: 'The weight version last set through the controller' })
  getVersion(): { version: number } {
    return { version: this.control.version };
  }

  @Post('set_version')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set the weight version on every data proxy: {"version": int, "strict"?: bool}' })
  setVersion(@Body() body: unknown): Promise<unknown> {
    const b = object(body);
    if (!Number.isSafeInteger(b.version) || (b.version as number) < 0)
      throw bad('version must be a non-negative integer');
    return this.control.broadcast('set_version', { version: b.version }, strict(b));
  }

  @Post('pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause generation on every data proxy (in-flight requests park and resume later)' })
  pause(@Body() body: unknown): Promise<unknown> {
    return this.control.broadcast('pause_generation', {}, strict(optionalObject(body)));
  }

  @Post(['continue', 'resume'])
  @HttpCode(200)
  @ApiOperation({ summary: 'Continue generation on every data proxy (alias /resume)' })
  resume(@Body() body: unknown): Promise<unknown> {
    return this.control.broadcast('continue_generation', {}, strict(optionalObject(body)));
  }

  @Post('offload')
  @HttpCode(200)
  @ApiOperation({
    summary: "Offload every engine's weights and KV cache (SGLang release_memory_occupation, vLLM sleep)",
  })
  offload(@Body() body: unknown): Promise<unknown> {
    return this.control.broadcast('release_memory_occupation', {}, strict(optionalObject(body)));
  }

  @Post('onload')
  @HttpCode(200)
  @ApiOperation({ summary: 'Load them back on every engine: {"tags"?: ["weights", "kv_cache"]}' })
  onload(@Body() body: unknown): Promise<unknown> {
    const b = optionalObject(body);
    if (b.tags !== undefined && (!Array.isArray(b.tags) || b.tags.some((t) => typeof t !== 'string' || !t)))
      throw bad('tags must be a list of non-empty strings');
    return this.control.broadcast('resume_memory_occupation', b.tags ? { tags: b.tags } : {}, strict(b));
  }

  @Post('register_model')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register a model through the gateway: {"model", "url"?, "api_key"?, "data_proxy_addrs"?}' })
  async registerModel(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    this.control.requireReady();
    const b = object(body);
    if (typeof b.model !== 'string' || !b.model) throw bad('model is required');
    if (b.url !== undefined && b.url !== null && typeof b.url !== 'string') throw bad('url must be a string');
    const payload = {
      model: b.model,
      url: b.url ?? '',
      api_key: typeof b.api_key === 'string' ? b.api_key : null,
      data_proxy_addrs: Array.isArray(b.data_proxy_addrs)
        ? b.data_proxy_addrs
        : this.stack.dataProxies.map((d) => d.addr),
    };
    relay(reply, await this.control.gateway('POST', '/register_model', payload));
  }

  @Post('grant_capacity')
  @HttpCode(200)
  @ApiOperation({ summary: 'Allow one more session to start (staleness control), through the gateway' })
  async grantCapacity(@Res() reply: FastifyReply): Promise<void> {
    this.control.requireReady();
    relay(reply, await this.control.gateway('POST', '/grant_capacity', {}));
  }

  @Post('callback/online_ready')
  @HttpCode(200)
  @ApiOperation({ summary: 'A data proxy announces a ready trajectory: {"session_id", "trajectory_id"} (idempotent)' })
  onlineReady(@Body() body: unknown): { status: string; queued: boolean } {
    const b = object(body);
    if (typeof b.session_id !== 'string' || !b.session_id || b.session_id.length > 512)
      throw bad('session_id must be a non-empty string');
    if (!Number.isSafeInteger(b.trajectory_id) || (b.trajectory_id as number) < 0)
      throw bad('trajectory_id must be a non-negative integer');
    return { status: 'ok', queued: this.ready.push(b.session_id, b.trajectory_id as number) };
  }

  @Post('trajectories/wait')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Wait for ready trajectories and export them: {"count"?: 1, "timeout_s"?: 30, "discount"?, "style"?, "format"?: "json" | "rpc", "schema"?: "interactions" | "traj"}',
  })
  async waitTrajectories(
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ trajectories: unknown[]; timed_out: boolean }> {
    this.control.requireReady();
    const b = optionalObject(body);
    const count = b.count ?? 1;
    const timeoutS = b.timeout_s ?? 30;
    if (!Number.isSafeInteger(count) || (count as number) < 1 || (count as number) > MAX_WAIT_COUNT)
      throw bad(`count must be an integer from 1 to ${MAX_WAIT_COUNT}`);
    if (typeof timeoutS !== 'number' || !(timeoutS >= 0) || timeoutS > MAX_WAIT_S)
      throw bad(`timeout_s must be a number from 0 to ${MAX_WAIT_S}`);
    if (b.discount !== undefined && typeof b.discount !== 'number') throw bad('discount must be a number');
    if (b.style !== undefined && b.style !== 'individual' && b.style !== 'concat')
      throw bad('style must be "individual" or "concat"');
    if (b.format !== undefined && b.format !== 'json' && b.format !== 'rpc')
      throw bad('format must be "json" or "rpc"');
    if (b.schema !== undefined && b.schema !== 'interactions' && b.schema !== 'traj')
      throw bad('schema must be "interactions" or "traj" (AReaL 2.0)');
    const clientLeft = abortOnClientClose(reply).signal;
    const refs = await this.ready.take(count as number, timeoutS * 1000, clientLeft);
    if (clientLeft.aborted) {
      // Nobody to hand them to: keep them for the next waiter instead of exporting them into the void.
      this.ready.giveBack(refs);
      return { trajectories: [], timed_out: false };
    }
    const trajectories = await Promise.all(
      refs.map(async (ref) => {
        const res = await this.control
          .gateway('POST', '/export_trajectories', {
            session_id: ref.session_id,
            trajectory_id: ref.trajectory_id,
            ...(b.discount !== undefined ? { discount: b.discount } : {}),
            ...(b.style !== undefined ? { style: b.style } : {}),
            format: b.format ?? 'json',
            ...(b.schema !== undefined ? { schema: b.schema } : {}),
            remove_session: false,
          })
          .catch((err: unknown) => ({ status: 0, json: undefined, text: String(err) }));
        return res.status === 200
          ? { ...ref, ok: true, ...(res.json as Record<string, unknown>) }
          : { ...ref, ok: false, status: res.status, error: res.text.slice(0, 500) };
      }),
    );
    this.ready.delivered(refs);
    return { trajectories, timed_out: refs.length < (count as number) };
  }

  @Post('shutdown')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop the whole stack and the controller (same as SIGTERM)' })
  shutdown(): { status: string } {
    setImmediate(() => process.kill(process.pid, 'SIGTERM'));
    return { status: 'shutting down' };
  }
}

function bad(message: string): AppException {
  return new AppException(400, ErrorCode.BAD_REQUEST, message);
}

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('body must be a JSON object');
  return body as Record<string, unknown>;
}

/** An empty body counts as `{}`. */
function optionalObject(body: unknown): Record<string, unknown> {
  return body === undefined || body === null || (typeof body === 'string' && body === '') ? {} : object(body);
}

function strict(b: Record<string, unknown>): boolean {
  if (b.strict !== undefined && typeof b.strict !== 'boolean') throw bad('strict must be a boolean');
  return b.strict === true;
}

/** Passes an upstream JSON answer back with its status. */
function relay(reply: FastifyReply, res: { status: number; json: unknown; text: string }): void {
  void reply
    .status(res.status)
    .header('content-type', 'application/json')
    .send(res.json !== undefined ? JSON.stringify(res.json) : res.text);
}
