// One unit over 300 lines: an episode's steps (permits, sessions, the agent runs, rewards, export,
// cleanup of whatever a failure left) share one set of members and one rule: nothing is left behind
// on any path. The calls themselves are the clients' (clients/).
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_OPTIONS, type JsonResponse } from '@app/common';
import type { ControllerOptions } from '../config/controller-options.js';
import { DataProxyClient } from '../clients/data-proxy-client.js';
import { GatewayClient } from '../clients/gateway-client.js';
import { RouterClient } from '../clients/router-client.js';
import { ReadyQueueService } from '../online/ready-queue.service.js';
import type { AcceptPredicate } from './accept-predicate.js';
import type { Agent } from './agent-loader.js';
import type { EpisodeOutcomeDto, ExportedTrajDto, ExportFormat } from '@app/contracts';

/** How one episode runs: everything a task needs besides its data. */
export interface EpisodeSpec {
  /** null ⇒ online mode: the episode exports the next trajectory announced ready (the reference's online workflow). */
  agent: Agent | null;
  agentKwargs: Record<string, unknown>;
  groupSize: number;
  accept: AcceptPredicate | null;
  discount: number;
  style: 'individual' | 'concat';
  format: ExportFormat;
  /** `traj`: one AReaL 2.0 padded batch per episode (the whole group), in `traj`. */
  schema: 'interactions' | 'traj';
  deterministicSampling: boolean;
  serializeGroupSamples: boolean;
  rewardNormalization: boolean;
  dropIncompleteGroup: boolean;
  timeoutMs: number;
}

/** One finished episode with its training data: the contract's shape (the trainer gets it as is). */
export type EpisodeOutcome = EpisodeOutcomeDto;

/** Who rejected an episode: the agent (a bug to fix), the predicate, the clock, or the service. */
export type RejectedBy = NonNullable<EpisodeOutcomeDto['rejected_by']>;

/** A failure that rejects the episode; the message is the reason reported to the trainer. */
class EpisodeError extends Error {
  constructor(
    message: string,
    readonly by: RejectedBy = 'service',
  ) {
    super(message);
  }
}

interface Member {
  sessionId: string;
  apiKey: string;
}

const CLEANUP_TIMEOUT_MS = 10_000;
/** With a finish timeout, how often to look for the trajectory when no ready callback came. */
const READY_POLL_MS = 1_000;

/**
 * The reference's episode workflow: grant capacity → start session(s) → `agent.run` →
 * set_reward → export, with its defects fixed (docs/COMPATIBILITY.md, Controller): failed runs leave no session
 * behind (25, 30), a group is exported together and never half-aborted, per-interaction rewards
 * are kept (24), and with a finish timeout the export waits for the trajectory instead of
 * failing with 409 (23).
 */
@Injectable()
export class EpisodeRunner {
  private readonly logger = new Logger(EpisodeRunner.name);

  constructor(
    @Inject(APP_OPTIONS) private readonly options: ControllerOptions,
    private readonly gateway: GatewayClient,
    private readonly router: RouterClient,
    private readonly dataProxies: DataProxyClient,
    private readonly ready: ReadyQueueService,
  ) {}

  async run(taskId: number, data: unknown, spec: EpisodeSpec, signal: AbortSignal): Promise<EpisodeOutcome> {
    const startedAt = new Date().toISOString();
    const outcome = (fields: Partial<EpisodeOutcome>): EpisodeOutcome => ({
      task_id: taskId,
      accepted: false,
      rewards: [],
      session_ids: [],
      interactions: {},
      started_at: startedAt,
      finished_at: new Date().toISOString(),
      ...fields,
    });
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(spec.timeoutMs)]);
    // Filled in as soon as sessions exist, so that a rejection still names them.
    const started: Started = { session_ids: [] };
    try {
      const done = spec.agent
        ? await this.runAgent(taskId, data, spec, spec.agent, deadline, started)
        : await this.runOnline(spec, deadline);
      if (Object.keys(done.traj ?? done.interactions).length === 0)
        return outcome({ ...done, reason: 'the episode has no interactions', rejected_by: 'empty' });
      if (spec.accept) {
        const verdict = await spec.accept({
          task_id: taskId,
          data,
          rewards: done.rewards,
          interactions: done.interactions,
          ...(done.traj ? { traj: done.traj } : {}),
        });
        if (!verdict) return outcome({ ...done, reason: 'rejected by the accept predicate', rejected_by: 'predicate' });
      }
      return outcome({ ...done, accepted: true });
    } catch (err) {
      const failure =
        err instanceof EpisodeError
          ? err
          : deadline.aborted
            ? abortError(deadline, spec)
            : new EpisodeError(message(err));
      this.logger.warn({ task: taskId, reason: failure.message }, 'episode rejected');
      return outcome({ ...started, reason: failure.message, rejected_by: failure.by });
    }
  }

  private async runAgent(
    taskId: number,
    data: unknown,
    spec: EpisodeSpec,
    agent: Agent,
    signal: AbortSignal,
    begun: Started,
  ): Promise<Done> {
    const groupSize = spec.groupSize;
    await this.grantPermits(groupSize, signal);
    const sessionTaskId = `${this.ready.offlinePrefix}${taskId}`;
    const started = await this.gateway
      .startSession(
        {
          task_id: sessionTaskId,
          ...(groupSize > 1 ? { group_size: groupSize } : {}),
          ...(spec.deterministicSampling ? { deterministic_sampling: true } : {}),
        },
        signal,
      )
      .catch(async (err: unknown) => {
        await this.releasePermits(groupSize);
        throw err;
      });
    const members = parseStarted(started, groupSize);
    if (!members) {
      await this.releasePermits(groupSize);
      throw new EpisodeError(`start_session answered ${started.status}: ${started.text.slice(0, 200)}`);
    }
    const sessionIds = members.sessions.map((m) => m.sessionId);
    const groupId = members.groupId;
    const ids = { session_ids: sessionIds, ...(groupId ? { group_id: groupId } : {}) };
    Object.assign(begun, ids);

    const settled = await this.runGroup(agent, data, members.sessions, { taskId, spec, signal });
    const failedIndexes = settled.flatMap((s, i) => (s.status === 'rejected' ? [i] : []));
    if (failedIndexes.length > 0 && (spec.dropIncompleteGroup || failedIndexes.length === settled.length)) {
      await this.discard(members.sessions);
      const failure = settled[failedIndexes[0]] as PromiseRejectedResult;
      throw failure.reason instanceof Error ? failure.reason : new EpisodeError(String(failure.reason));
    }
    // drop_incomplete_group false: the failed members leave, the others make the episode.
    await this.discard(failedIndexes.map((i) => members.sessions[i]));
    const kept = members.sessions.filter((_, i) => !failedIndexes.includes(i));
    const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const dropped = failedIndexes.length > 0 ? { dropped_members: failedIndexes } : {};
    try {
      if (spec.schema === 'traj' || (spec.rewardNormalization && kept.length > 1)) {
        const exported = await this.exportGroup(kept, results, spec, signal);
        return { ...ids, ...dropped, rewards: results.map((r) => r.reward), ...exported };
      }
      const interactions: Record<string, unknown> = {};
      for (let i = 0; i < kept.length; i++)
        Object.assign(interactions, await this.exportMember(kept[i], results[i].trajectoryId, spec, signal));
      return { ...ids, ...dropped, rewards: results.map((r) => r.reward), interactions };
    } catch (err) {
      await this.discard(kept);
      throw err;
    }
  }

  /**
   * Runs every member: concurrently (a failure aborts the siblings when the group is dropped
   * whole), or with `serialize_group_samples` one after another in member order, where a failure
   * closes that member with reward 0 and the next one still runs (AReaL 2.0).
   */
  private async runGroup(
    agent: Agent,
    data: unknown,
    sessions: Member[],
    run: { taskId: number; spec: EpisodeSpec; signal: AbortSignal },
  ): Promise<PromiseSettledResult<MemberResult>[]> {
    const { spec } = run;
    if (spec.serializeGroupSamples) {
      const settled: PromiseSettledResult<MemberResult>[] = [];
      for (const [index, member] of sessions.entries()) {
        try {
          settled.push({ status: 'fulfilled', value: await this.runMember(agent, data, member, { ...run, index }) });
        } catch (err) {
          if (run.signal.aborted) throw err;
          settled.push({ status: 'rejected', reason: err });
        }
      }
      return settled;
    }
    const group = new AbortController();
    const runSignal = AbortSignal.any([run.signal, group.signal]);
    return Promise.allSettled(
      sessions.map((member, index) =>
        this.runMember(agent, data, member, { ...run, index, signal: runSignal }).catch((err: unknown) => {
          if (spec.dropIncompleteGroup) group.abort(err);
          throw err;
        }),
      ),
    );
  }

  /**
   * The whole group in one export: AReaL 2.0's `traj` batch, and/or rewards normalized across
   * the members by the data proxy (`normalize_rewards`). Each member's trajectory must be ready
   * first (with a finish timeout it may not be yet).
   */
  private async exportGroup(
    members: Member[],
    results: MemberResult[],
    spec: EpisodeSpec,
    signal: AbortSignal,
  ): Promise<Pick<Done, 'interactions' | 'traj'>> {
    for (const [i, member] of members.entries()) {
      let known = results[i].trajectoryId;
      while (known === null) {
        known = await this.ready.readyTrajectory(member.sessionId, READY_POLL_MS, signal);
        if (signal.aborted) throw new EpisodeError('timed out waiting for the trajectory to become ready');
      }
    }
    const res = await this.gateway.exportTrajectories({
      session_ids: members.map((m) => m.sessionId),
      discount: spec.discount,
      style: spec.style,
      format: spec.format,
      schema: spec.schema,
      normalize_rewards: spec.rewardNormalization && members.length > 1,
      remove_session: true,
    });
    for (const member of members) this.ready.forget(member.sessionId);
    if (res.status !== 200)
      throw new EpisodeError(`export_trajectories answered ${res.status}: ${res.text.slice(0, 200)}`);
    const body = res.json ?? {};
    return spec.schema === 'traj'
      ? { interactions: {}, traj: body.traj ?? {} }
      : { interactions: body.interactions ?? {} };
  }

  /** One run of the agent on its own session, closed with its reward(s). */
  private async runMember(
    agent: Agent,
    data: unknown,
    member: Member,
    run: { taskId: number; index: number; spec: EpisodeSpec; signal: AbortSignal },
  ): Promise<MemberResult> {
    if (run.spec.serializeGroupSamples) {
      // AReaL 2.0: a failed member is still closed (reward 0) before the next one starts.
      return this.runAndReward(agent, data, member, run).catch(async (err: unknown) => {
        await this.gateway.setReward(member.apiKey, { reward: 0 }).catch(() => undefined);
        throw err;
      });
    }
    return this.runAndReward(agent, data, member, run);
  }

  private async runAndReward(
    agent: Agent,
    data: unknown,
    member: Member,
    run: { taskId: number; index: number; spec: EpisodeSpec; signal: AbortSignal },
  ): Promise<MemberResult> {
    const result = await untilAborted(
      Promise.resolve().then(() =>
        agent.run(structuredClone(data), {
          baseUrl: this.gateway.baseUrl,
          apiKey: member.apiKey,
          signal: run.signal,
          model: this.options.model,
          sessionId: member.sessionId,
          taskId: run.taskId,
          groupIndex: run.index,
          groupSize: run.spec.groupSize,
          kwargs: run.spec.agentKwargs,
        }),
      ),
      run.signal,
    ).catch((err: unknown) => {
      if (run.signal.aborted) throw err;
      throw new EpisodeError(`agent error: ${message(err)}`, 'agent');
    });
    const reward = normalizeReward(result);
    const res = await this.gateway.setReward(
      member.apiKey,
      reward.perInteraction !== undefined ? { rewards: reward.perInteraction } : { reward: reward.last },
      { signal: run.signal },
    );
    if (res.status !== 200) throw new EpisodeError(`set_reward answered ${res.status}: ${res.text.slice(0, 200)}`);
    const trajectoryId = res.json?.trajectory_id;
    return { reward: reward.last, trajectoryId: typeof trajectoryId === 'number' ? trajectoryId : null };
  }

  /**
   * Exports one session's trajectory and removes the session. When the trajectory is not final
   * yet (`set_reward_finish_timeout`), waits for the data proxy's ready callback, looking again
   * every second in case the callback goes elsewhere.
   */
  private async exportMember(
    member: Member,
    trajectoryId: number | null,
    spec: EpisodeSpec,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    let known = trajectoryId;
    for (;;) {
      const res = await this.gateway.exportTrajectories({
        session_id: member.sessionId,
        trajectory_id: known,
        discount: spec.discount,
        style: spec.style,
        format: spec.format,
        // Named: the data proxies' default may be `traj` (AReaL 2.0's profile).
        schema: 'interactions',
        remove_session: true,
      });
      if (res.status === 200) {
        this.ready.forget(member.sessionId);
        return res.json?.interactions ?? {};
      }
      if (res.status !== 409 || known !== null)
        throw new EpisodeError(`export_trajectories answered ${res.status}: ${res.text.slice(0, 200)}`);
      known = await this.ready.readyTrajectory(member.sessionId, READY_POLL_MS, signal);
      if (signal.aborted) throw new EpisodeError('timed out waiting for the trajectory to become ready');
    }
  }

  /** Online mode: the next trajectory announced ready, exported with the configured discount and style. */
  private async runOnline(spec: EpisodeSpec, signal: AbortSignal): Promise<Done> {
    // Each waiting online episode lets one external session start (the router's capacity permits
    // gate session starts; without them, as in AReaL 2.0, external sessions start freely).
    await this.grantPermits(1, signal);
    const [ref] = await this.ready.take(1, spec.timeoutMs, signal);
    if (!ref) throw new EpisodeError('no trajectory became ready in time');
    const res = await this.gateway.exportTrajectories({
      session_id: ref.session_id,
      trajectory_id: ref.trajectory_id,
      discount: spec.discount,
      style: spec.style,
      format: spec.format,
      schema: spec.schema,
      remove_session: false,
    });
    if (res.status !== 200)
      throw new EpisodeError(`export_trajectories answered ${res.status}: ${res.text.slice(0, 200)}`);
    if (spec.schema === 'traj') {
      const traj = res.json?.traj ?? {};
      return { rewards: [await this.lastTrajReward(traj)], session_ids: [ref.session_id], interactions: {}, traj };
    }
    const interactions = (res.json?.interactions ?? {}) as Record<string, { reward?: unknown }>;
    const last = Object.values(interactions).at(-1)?.reward;
    return { rewards: [typeof last === 'number' ? last : 0], session_ids: [ref.session_id], interactions };
  }

  /**
   * The last row's reward of a `traj` answer: the string form's last entry, the JSON lists, or
   * (the RPC encoding) the `rewards` shard fetched from the data proxy that holds it.
   */
  private async lastTrajReward(answer: ExportedTrajDto): Promise<number> {
    // Another process's JSON: read field by field, whatever form it claims to have.
    const traj = answer as Record<string, unknown>;
    const list = Array.isArray(traj.interactions)
      ? (traj.interactions as { reward?: unknown }[]).map((i) => i.reward)
      : Array.isArray(traj.rewards)
        ? (traj.rewards as unknown[])
        : await this.dataProxies.shardValues(traj.rewards);
    const last = list.at(-1);
    return typeof last === 'number' ? last : 0;
  }

  /**
   * A rejected episode's sessions: closed with reward 0 (as the reference does) and then
   * exported with `remove_session` so that nothing stays behind on the data proxy or the router.
   */
  private async discard(members: Member[]): Promise<void> {
    await Promise.all(
      members.map(async (member) => {
        try {
          await this.gateway.setReward(member.apiKey, { reward: 0 }, { timeoutMs: CLEANUP_TIMEOUT_MS });
          await this.gateway.exportTrajectories(
            { session_ids: [member.sessionId], remove_session: true, format: 'json' },
            CLEANUP_TIMEOUT_MS,
          );
        } catch (err) {
          this.logger.warn({ session: member.sessionId, error: message(err) }, 'could not remove a rejected session');
        } finally {
          this.ready.forget(member.sessionId);
        }
      }),
    );
  }

  /**
   * One router permit per session about to start, all or none. The episode itself already fits
   * the staleness budget (the executor only starts what it allows); the permits let its sessions
   * start. With `--capacity-permits off` the router takes none, and none is granted.
   */
  private async grantPermits(count: number, signal: AbortSignal): Promise<void> {
    if (!this.options['capacity-permits']) return;
    const grants = await Promise.all(Array.from({ length: count }, () => this.gateway.grantCapacity(signal)));
    const refused = grants.find((res) => res.status !== 200);
    if (refused) {
      await this.releasePermits(grants.filter((res) => res.status === 200).length);
      throw new EpisodeError(`grant_capacity answered ${refused.status}: ${refused.text.slice(0, 200)}`);
    }
  }

  /** Gives back router permits granted for sessions that never started. */
  private async releasePermits(count: number): Promise<void> {
    if (!this.options['capacity-permits']) return;
    for (let i = 0; i < count; i++) {
      await this.router.releaseCapacity().catch((err: unknown) => {
        this.logger.warn({ error: message(err) }, 'could not release a capacity permit');
      });
    }
  }
}

type Started = Pick<EpisodeOutcome, 'session_ids' | 'group_id'>;
type Done = Pick<EpisodeOutcome, 'rewards' | 'session_ids' | 'group_id' | 'interactions' | 'traj' | 'dropped_members'>;

interface MemberResult {
  reward: number;
  trajectoryId: number | null;
}

/** `{session_id, api_key}` or the group form `{group_id, sessions: [{session_id, session_api_key}]}`. */
function parseStarted(res: JsonResponse, groupSize: number): { sessions: Member[]; groupId?: string } | null {
  if (res.status !== 201 || typeof res.json !== 'object' || res.json === null) return null;
  const body = res.json as Record<string, unknown>;
  if (groupSize === 1) {
    return typeof body.session_id === 'string' && typeof body.api_key === 'string'
      ? { sessions: [{ sessionId: body.session_id, apiKey: body.api_key }] }
      : null;
  }
  if (typeof body.group_id !== 'string' || !Array.isArray(body.sessions) || body.sessions.length !== groupSize)
    return null;
  const sessions: Member[] = [];
  for (const s of body.sessions as Record<string, unknown>[]) {
    if (typeof s?.session_id !== 'string' || typeof s.session_api_key !== 'string') return null;
    sessions.push({ sessionId: s.session_id, apiKey: s.session_api_key });
  }
  return { sessions, groupId: body.group_id };
}

/**
 * An agent's result as rewards: a number (or boolean) for the episode, or one per interaction
 * (a list in order, or an object keyed by interaction id). Anything else rejects the episode.
 */
export function normalizeReward(result: unknown): {
  last: number;
  perInteraction?: number[] | Record<string, number>;
} {
  if (typeof result === 'boolean') return { last: result ? 1 : 0 };
  if (typeof result === 'number') {
    if (!Number.isFinite(result)) throw new EpisodeError(`the agent returned a non-finite reward (${result})`, 'agent');
    return { last: result };
  }
  const values = Array.isArray(result)
    ? result
    : typeof result === 'object' && result !== null
      ? Object.values(result)
      : null;
  if (values === null || values.length === 0 || values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new EpisodeError(
      `the agent returned a non-numeric reward (${JSON.stringify(result)?.slice(0, 100) ?? String(result)}): run() must return a number, a list of numbers or {interaction_id: number}`,
      'agent',
    );
  }
  return { last: values.at(-1) as number, perInteraction: result as number[] | Record<string, number> };
}

/** The agent's promise, or a rejection as soon as the signal aborts (an agent may ignore it). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function abortError(signal: AbortSignal, spec: EpisodeSpec): EpisodeError {
  const reason: unknown = signal.reason;
  if (reason instanceof DOMException && reason.name === 'TimeoutError')
    return new EpisodeError(`the episode ran past its timeout (${spec.timeoutMs / 1000} s)`, 'timeout');
  return new EpisodeError(`the episode was aborted: ${message(reason)}`);
}

function message(err: unknown): string {
  if (err instanceof EpisodeError) return err.message;
  if (err instanceof Error) return err.name === 'Error' ? err.message : `${err.name}: ${err.message}`;
  return String(err);
}
