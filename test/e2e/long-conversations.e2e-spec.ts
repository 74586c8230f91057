// Long conversations through real processes: a data proxy that parses each turn's body from what is
// new in it (the default) records exactly what one that parses every body in full records.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call } from '../support/http.js';
import { scrapeMetric } from '../support/metrics.js';
import { Random, text } from '../support/conversations.js';
import { spawnApp, type SpawnedApp } from '../support/spawn-app.js';

const ADMIN = 'long-admin-key';
const TURNS = 12;

describe('long conversations (real processes)', () => {
  let engine: SpawnedApp;
  let continuing: SpawnedApp;
  let parsingInFull: SpawnedApp;

  beforeAll(async () => {
    engine = await spawnApp('engine-sim', ['--decode-ms-per-token', '0', '--max-output-tokens', '24']);
    const proxy = (extra: string[]) =>
      spawnApp('data-proxy', [
        '--admin-api-key',
        ADMIN,
        '--backend-addr',
        engine.url,
        '--max-body-bytes',
        '4194304',
        ...extra,
      ]);
    [continuing, parsingInFull] = await Promise.all([proxy([]), proxy(['--conversation-body-cache-mb', '0'])]);
  });

  afterAll(async () => {
    await Promise.all([continuing?.stop(), parsingInFull?.stop()]);
    await engine?.stop();
  });

  /**
   * One agent episode of TURNS turns, the conversation past 32 KB from the start, with tools and
   * tool calls: each turn resends the whole conversation with the answer as the proxy gave it.
   */
  async function episode(proxy: SpawnedApp, seed: number) {
    const random = new Random(seed);
    const { session_id, api_key } = (
      await call('POST', `${proxy.url}/rl/start_session`, { body: { task_id: 't' }, token: ADMIN })
    ).json;
    const tools = [
      {
        type: 'function',
        function: { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
      },
    ];
    const messages: unknown[] = [
      { role: 'system', content: text(random, 8000) },
      { role: 'user', content: text(random, 40) },
    ];
    for (let turn = 0; turn < TURNS; turn++) {
      const answer = await call('POST', `${proxy.url}/v1/chat/completions`, {
        body: { model: 'm', messages, tools, seed: 11, temperature: 0, return_token_ids: true },
        token: api_key,
      });
      expect(answer.status).toBe(200);
      messages.push(answer.json.choices[0].message);
      if (turn % 3 === 2) messages.push({ role: 'tool', tool_call_id: `call_${turn}`, content: text(random, 30) });
      else messages.push({ role: 'user', content: text(random, 30) });
    }
    const recorded = (await call('GET', `${proxy.url}/rl/sessions/${session_id}`, { token: ADMIN })).json.interactions;
    return recorded.map((interaction: Record<string, unknown>) => ({
      parent:
        interaction.parent_id === null
          ? null
          : recorded.findIndex((i: Record<string, unknown>) => i.interaction_id === interaction.parent_id),
      messages: interaction.messages,
      prompt: interaction.prompt_ids,
      output: interaction.output_ids,
    }));
  }

  it('records the same turns, prompts and parents as parsing every body in full, parsing later bodies from what is new', async () => {
    const [fromNew, inFull] = await Promise.all([episode(continuing, 5), episode(parsingInFull, 5)]);
    expect(fromNew).toHaveLength(TURNS);
    expect(fromNew).toEqual(inFull);
    // Every turn continues the one before: one chain, as the agent sent it.
    expect(fromNew.map((turn: { parent: number | null }) => turn.parent)).toEqual([
      null,
      ...Array.from({ length: TURNS - 1 }, (_, i) => i),
    ]);
    expect(await scrapeMetric(continuing.url, 'data_proxy_conversation_bodies_total', { parsed: 'continued' })).toBe(
      TURNS - 1,
    );
    expect(await scrapeMetric(parsingInFull.url, 'data_proxy_conversation_bodies_total', { parsed: 'continued' })).toBe(
      0,
    );
  });

  it('refuses a poisoned or broken continuation with the 400 a full parse gives, and the session goes on', async () => {
    const { api_key } = (
      await call('POST', `${continuing.url}/rl/start_session`, { body: { task_id: 'bad' }, token: ADMIN })
    ).json;
    const random = new Random(9);
    const messages = [
      { role: 'system', content: text(random, 8000) },
      { role: 'user', content: 'hello' },
    ];
    const send = (body: string) => call('POST', `${continuing.url}/v1/chat/completions`, { body, token: api_key });
    const first = await send(JSON.stringify({ messages }));
    expect(first.status).toBe(200);
    const head = JSON.stringify({ messages }).slice(0, -2);
    const poisoned = await send(`${head},{"role":"user","content":"x","__proto__":{"admin":true}}]}`);
    expect(poisoned.status).toBe(400);
    const broken = await send(`${head},]}`);
    expect(broken.status).toBe(400);
    const next = await send(
      JSON.stringify({ messages: [...messages, first.json.choices[0].message, { role: 'user', content: 'again' }] }),
    );
    expect(next.status).toBe(200);
  });
});
