import { describe, expect, it } from '@jest/globals';
import { parseOptions } from '@app/common';
import { CONTROLLER_OPTIONS } from '../config/controller-options.js';
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
  const executor = new RolloutExecutor(options, control, runner);
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
    const stream = new DatasetStream('k', null, executor, SPEC, new DatasetCursor([{ a: 1 }, { a: 2 }, { a: 3 }]));
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
