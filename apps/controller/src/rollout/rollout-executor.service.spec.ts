import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions } from '@app/common';
import { CONTROLLER_OPTIONS } from '../config/controller-options.js';
import { ControllerStateService } from '../persistence/controller-state.service.js';
import type { ControlEvent, ControlService } from '../control/control.service.js';
import { DatasetCursor } from './dataset.js';
import { DatasetStream } from './dataset-stream.js';
import type { EpisodeOutcome, EpisodeRunner, EpisodeSpec } from './episode.js';
import { RolloutExecutor } from './rollout-executor.service.js';

const SPEC = {} as EpisodeSpec;

/** An executor whose episodes end when the test says so. */
function setup(flags: string[]) {
  const options = parseOptions(CONTROLLER_OPTIONS, flags, {}).options;
  let listener: (event: ControlEvent) => void = () => undefined;
  const control = {
    version: 0,
    onControl: (l: (event: ControlEvent) => void) => (listener = l),
  } as unknown as ControlService;
  const running = new Map<number, (accepted: boolean) => void>();
  const runner = {
    run: (taskId: number) =>
      new Promise<EpisodeOutcome>((resolve) => {
        running.set(taskId, (accepted) => {
          running.delete(taskId);
          resolve({ task_id: taskId, accepted, rewards: [], session_ids: [], interactions: {} } as never);
        });
      }),
  } as unknown as EpisodeRunner;
  const executor = new RolloutExecutor(options, control, runner, new ControllerStateService(options));
  const setVersion = (version: number) => {
    (control as { version: number }).version = version;
    listener({ kind: 'version', version });
  };
  const finish = async (taskId: number, accepted = true) => {
    running.get(taskId)!(accepted);
    await new Promise((r) => setImmediate(r));
  };
  return { executor, running, finish, setVersion, emit: (event: ControlEvent) => listener(event) };
}

function streamOver(executor: RolloutExecutor, items: unknown[] | null, key = 'k'): DatasetStream {
  const cursor = items ? new DatasetCursor(items) : null;
  return new DatasetStream(key, null, executor, SPEC, cursor, executor.state, executor.state.recoveredStream(key));
}

const never = new AbortController().signal;

describe(RolloutExecutor.name, () => {
  it('starts episodes only within the staleness budget and wakes on set_version, without polling', async () => {
    const { executor, running, finish, setVersion } = setup(['--consumer-batch-size', '2']);
    for (let i = 0; i < 4; i++) executor.submit({}, SPEC, executor.poolOwner);
    expect([...running.keys()]).toEqual([0, 1]);
    await finish(0);
    await finish(1);
    expect(running.size).toBe(0);
    expect(executor.queued).toBe(2);
    setVersion(1);
    expect([...running.keys()]).toEqual([2, 3]);
  });

  it('rejected episodes give their budget back; pause holds new starts until continue', async () => {
    const { executor, running, finish, emit } = setup(['--consumer-batch-size', '1']);
    executor.submit({}, SPEC, executor.poolOwner);
    executor.submit({}, SPEC, executor.poolOwner);
    await finish(0, false);
    expect([...running.keys()]).toEqual([1]);
    emit({ kind: 'pause' });
    await finish(1, false);
    executor.submit({}, SPEC, executor.poolOwner);
    expect(running.size).toBe(0);
    emit({ kind: 'continue' });
    expect([...running.keys()]).toEqual([2]);
  });

  it('a batch that stops waiting hands its unfinished episodes to the pool', async () => {
    const { executor, finish } = setup(['--consumer-batch-size', '8']);
    const batch = executor.runBatch([{}, {}], SPEC, 50, never);
    await finish(0);
    const { outcomes, unfinished } = await batch;
    expect(outcomes.map((o) => o.task_id)).toEqual([0]);
    expect(unfinished).toEqual([1]);
    await finish(1);
    expect((await executor.waitPool(1, 1000, never))!.map((o) => o.task_id)).toEqual([1]);
  });

  it('a dataset stream reset drops queued and in-flight episodes and starts the next batch afresh', async () => {
    const { executor, running, finish } = setup(['--consumer-batch-size', '1', '--max-head-offpolicyness', '2']);
    const stream = streamOver(executor, [{ a: 1 }, { a: 2 }, { a: 3 }]);
    const first = stream.prepare(1, false, 5000, never);
    await new Promise((r) => setImmediate(r));
    await finish(0);
    expect((await first).trajectories.map((o) => o.task_id)).toEqual([0]);
    // One more started ahead for the next batch.
    expect([...running.keys()]).toEqual([1]);
    stream.reset();
    expect(stream.inflight).toBe(0);
    const second = stream.prepare(1, false, 5000, never);
    await new Promise((r) => setImmediate(r));
    await finish(1); // the stale one: ignored
    expect(stream.cursor!.position).toBe(1);
    await finish(2);
    expect((await second).trajectories.map((o) => o.task_id)).toEqual([2]);
  });
});

describe('RolloutExecutor and dataset streams with --state-dir: what a restarted controller keeps', () => {
  const items = [{ q: 0 }, { q: 1 }, { q: 2 }, { q: 3 }, { q: 4 }];

  it('uncollected /rollout/submit outcomes are there after a crash; collected ones are not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'controller-state-'));
    const before = setup(['--state-dir', dir]);
    for (let i = 0; i < 3; i++) before.executor.submit({}, SPEC, before.executor.poolOwner);
    for (let i = 0; i < 3; i++) await before.finish(i);
    expect((await before.executor.waitPool(1, 100, never))!.map((o) => o.task_id)).toEqual([0]);
    const after = setup(['--state-dir', dir]);
    expect(after.executor.pooled).toBe(2);
    expect(after.executor.isTaskIdFree(1)).toBe(false);
    // A new submit gets a free id, not one of the recovered outcomes'.
    expect(after.executor.submit({}, SPEC, after.executor.poolOwner)).toBe(0);
    expect(after.executor.submit({}, SPEC, after.executor.poolOwner)).toBe(3);
    expect((await after.executor.waitPool(2, 100, never))!.map((o) => o.task_id)).toEqual([1, 2]);
  });

  it('a stream keeps its cursor and untaken outcomes; items whose episodes the crash killed run again first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'controller-state-'));
    const before = setup(['--state-dir', dir, '--consumer-batch-size', '2', '--max-head-offpolicyness', '4']);
    const stream = streamOver(before.executor, items);
    const first = stream.prepare(2, false, 5000, never);
    await new Promise((r) => setImmediate(r));
    await before.finish(0);
    await before.finish(1);
    expect((await first).trajectories.map((o) => o.task_id)).toEqual([0, 1]);
    // Two more started ahead for the next batch (items 2 and 3); item 2's finishes, item 3's dies.
    expect([...before.running.keys()]).toEqual([2, 3]);
    await before.finish(2);
    expect(stream.cursor!.position).toBe(4);

    const after = setup(['--state-dir', dir, '--consumer-batch-size', '2', '--max-head-offpolicyness', '4']);
    const data: unknown[] = [];
    const submit = after.executor.submit.bind(after.executor);
    after.executor.submit = (item, spec, owner, id) => (data.push(item), submit(item, spec, owner, id));
    const resumed = streamOver(after.executor, items);
    expect(resumed.cursor!.position).toBe(4);
    expect(resumed.buffered).toBe(1);
    const second = resumed.prepare(2, false, 5000, never);
    await new Promise((r) => setImmediate(r));
    // Item 3 again (its episode died), then item 4 onwards.
    expect(data[0]).toEqual({ q: 3 });
    await after.finish(0);
    const batch = (await second).trajectories;
    expect(batch).toHaveLength(2);
    expect(batch[0].task_id).toBe(2);

    // A second restart: the taken outcomes and the re-run item are not handed out or run again.
    const third = setup(['--state-dir', dir, '--consumer-batch-size', '2', '--max-head-offpolicyness', '4']);
    const again = streamOver(third.executor, items);
    expect(again.buffered).toBe(0);
    expect(again.cursor!.position).toBe(resumed.cursor!.position);
  });

  it('a reset is kept: the restarted stream starts from the first item with nothing buffered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'controller-state-'));
    const before = setup(['--state-dir', dir, '--consumer-batch-size', '1', '--max-head-offpolicyness', '2']);
    const stream = streamOver(before.executor, items);
    void stream.prepare(1, false, 5000, never);
    await new Promise((r) => setImmediate(r));
    await before.finish(0);
    stream.reset();
    const after = streamOver(setup(['--state-dir', dir]).executor, items);
    expect(after.cursor!.position).toBe(0);
    expect(after.buffered).toBe(0);
  });
});
