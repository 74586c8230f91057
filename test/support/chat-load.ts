import { request } from 'undici';

/** One chat of the steady load: which session, how it ended, how long it took. */
export interface ChatResult {
  session: number;
  status: number;
  /** Transport error (connection refused/reset), when there was no HTTP status. */
  error?: string;
  /** The start of the body of a failed request. */
  detail?: string;
  ms: number;
  at: number;
}

export interface Session {
  index: number;
  apiKey: string;
  sessionId: string;
}

/**
 * Starts `count` sessions through the gateway (one capacity grant each), as an agent runtime
 * would, with the admin key.
 */
export async function startSessions(gateway: string, adminKey: string, count: number, tag: string): Promise<Session[]> {
  const sessions: Session[] = [];
  for (let i = 0; i < count; i++) {
    const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
    await (await request(`${gateway}/grant_capacity`, { method: 'POST', headers })).body.dump();
    const res = await request(`${gateway}/rl/start_session`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ task_id: `${tag}-${i}` }),
    });
    const body = (await res.body.json()) as { session_id: string; api_key: string };
    if (res.statusCode !== 201) throw new Error(`start_session answered ${res.statusCode}`);
    sessions.push({ index: i, apiKey: body.api_key, sessionId: body.session_id });
  }
  return sessions;
}

/**
 * Steady load: every session chats back to back (non-streaming) until stopped. Each request has
 * a client-side deadline so a hang shows up as a result, not as a stuck test.
 */
export function steadyLoad(
  gateway: string,
  sessions: Session[],
  options: { maxTokens?: number; deadlineMs?: number } = {},
): { results: ChatResult[]; stop: () => Promise<ChatResult[]> } {
  const results: ChatResult[] = [];
  let running = true;
  const loops = sessions.map(async (session) => {
    while (running) {
      const started = Date.now();
      try {
        const res = await request(`${gateway}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${session.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            messages: [{ role: 'user', content: `load ${session.index}` }],
            max_tokens: options.maxTokens ?? 8,
          }),
          headersTimeout: options.deadlineMs ?? 15_000,
          bodyTimeout: options.deadlineMs ?? 15_000,
        });
        const detail =
          res.statusCode === 200 ? (await res.body.dump(), undefined) : (await res.body.text()).slice(0, 200);
        results.push({ session: session.index, status: res.statusCode, ms: Date.now() - started, at: started, detail });
      } catch (err) {
        results.push({
          session: session.index,
          status: 0,
          error: (err as { code?: string }).code ?? String(err),
          ms: Date.now() - started,
          at: started,
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });
  return {
    results,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return results;
    },
  };
}
