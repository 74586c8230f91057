import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSessions } from '../support/chat-load.js';
import { waitFor } from '../support/wait.js';
import { call } from '../support/http.js';
import { spawnLocalStack, type SpawnedApp } from '../support/spawn-app.js';

const ADMIN = 'controller-restart-admin';
const MATH_AGENT = 'examples/math-agent/agent.mjs';

/**
 * `kill -9` of the controller of a launched stack: its services go down with it (they exit when
 * the controller's end of their stdin closes); a controller restarted with the same `--state-dir`
 * launches them again, the data proxies recover their sessions from their journals, and the
 * controller recovers its own ready queue and uncollected rollout results, so the trainer gets
 * every ready trajectory exactly once and every finished episode.
 */
describe('controller restart with --state-dir: the trainer loses nothing', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'controller-restart-'));
  const args = ['--backend', 'sim:d2', '--state-dir', stateDir, '--engine-sim-args', '--decode-ms-per-token 0'];
  let controller: SpawnedApp | undefined;

  afterAll(async () => {
    await controller?.stop();
  });

  it('kill -9 of the controller: ready trajectories are delivered once after the restart, finished episodes are collected', async () => {
    controller = await spawnLocalStack(ADMIN, args);
    const ctl = (method: string, path: string, body?: unknown) =>
      call(method, `${controller!.url}${path}`, { body, token: ADMIN });
    let gateway = (await ctl('GET', '/status')).json.gateway.addr as string;

    // Six agent sessions, each one turn and a reward: six ready trajectories queued in the controller.
    const sessions = await startSessions(gateway, ADMIN, 6, 'restart');
    for (const session of sessions) {
      const chat = await call('POST', `${gateway}/v1/chat/completions`, {
        body: { messages: [{ role: 'user', content: `turn of ${session.index}` }], max_tokens: 4 },
        token: session.apiKey,
      });
      expect(chat.status).toBe(200);
      expect(
        (await call('POST', `${gateway}/rl/set_reward`, { body: { reward: session.index }, token: session.apiKey }))
          .status,
      ).toBe(200);
    }
    await waitFor(async () => (await ctl('GET', '/status')).json.ready_queue.queued === 6, 10_000, 50);
    // The trainer takes two before the crash.
    const early = await ctl('POST', '/trajectories/wait', { count: 2, timeout_s: 5 });
    expect(early.json.trajectories.map((t: { ok: boolean }) => t.ok)).toEqual([true, true]);
    // And one /rollout/submit episode finishes without being collected.
    const submitted = await ctl('POST', '/rollout/submit', {
      data: { question: 'What is 2 + 2?', answer: '4' },
      agent: MATH_AGENT,
    });
    expect(submitted.status).toBe(200);
    await waitFor(async () => (await ctl('GET', '/rollout/status')).json.pooled === 1, 15_000, 50);

    const killedAt = Date.now();
    controller.process.kill('SIGKILL');
    await controller.stop();
    // Its services follow it down.
    await waitFor(async () => (await call('GET', `${gateway}/health`).catch(() => null)) === null, 15_000, 50);

    controller = await spawnLocalStack(ADMIN, args);
    const recoveryMs = Date.now() - killedAt;
    process.stderr.write(`controller kill -9 → stack ready again with its state: ${recoveryMs} ms\n`);
    gateway = (await ctl('GET', '/status')).json.gateway.addr as string;
    expect((await ctl('GET', '/status')).json.ready_queue.queued).toBe(4);

    const late = await ctl('POST', '/trajectories/wait', { count: 4, timeout_s: 10 });
    expect(late.json.timed_out).toBe(false);
    // Exported from the restarted data proxies' journals: each with its one turn and its reward.
    for (const trajectory of late.json.trajectories) {
      expect(trajectory.ok).toBe(true);
      const rows = Object.values<{ reward: number }>(trajectory.interactions);
      expect(rows).toHaveLength(1);
      const session = sessions.find((s) => s.sessionId === trajectory.session_id)!;
      expect(rows[0].reward).toBe(session.index);
    }
    // Every ready trajectory exactly once across the crash: 0 lost, 0 repeated.
    const delivered = [...early.json.trajectories, ...late.json.trajectories].map(
      (t: { session_id: string }) => t.session_id,
    );
    expect(delivered.sort()).toEqual(sessions.map((s) => s.sessionId).sort());
    const more = await ctl('POST', '/trajectories/wait', { count: 1, timeout_s: 0.5 });
    expect(more.json.trajectories).toEqual([]);

    // The finished episode nobody collected before the crash.
    const results = await ctl('POST', '/rollout/wait', { count: 1, timeout_s: 5 });
    expect(results.json.timed_out).toBe(false);
    expect(results.json.results[0].task_id).toBe(submitted.json.task_id);
    expect(Object.keys(results.json.results[0].interactions)).toHaveLength(1);
  }, 120_000);
});
