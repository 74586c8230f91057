// session-memory: what recorded turns cost in data-proxy heap (docs/BENCHMARKS.md, session-memory).
// In-process, the data proxy's own trajectory store (from dist/): 1,000 sessions of 16 turns each
// growing to ≈ 4k tokens, recorded as the chat service records a turn (fresh messages parsed from
// each request, the parent found by its messages, prompt ids, output ids, log-probs, versions).
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { InteractionCache } from '../../dist/apps/data-proxy/src/sessions/interaction.js';

export const description =
  'heap per recorded token and per session: 1,000 sessions × 16 turns × ≈ 4k tokens, in-process';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const TURNS = 16;
/** Tokens each turn adds to the prompt (a tool result or user message) and generates. */
const NEW_PROMPT_TOKENS = 200;
const OUTPUT_TOKENS = 56;
/** Characters per token of the synthetic text (English ≈ 4). */
const CHARS_PER_TOKEN = 4;

const text = (seed, tokens) => `${seed} `.padEnd(tokens * CHARS_PER_TOKEN, 'lorem ipsum dolor sit amet ');

/** One session's trajectory: each turn resends the conversation (parsed afresh, as a request body is). */
function recordSession(index) {
  const cache = new InteractionCache();
  const conversation = [{ role: 'system', content: text(`system ${index}`, 100) }];
  let prompt = [];
  let parentIds = null;
  let outputTokens = 0;
  for (let turn = 0; turn < TURNS; turn++) {
    conversation.push({ role: 'user', content: text(`s${index} t${turn}`, NEW_PROMPT_TOKENS) });
    const messages = JSON.parse(JSON.stringify(conversation));
    const parent = cache.findParent(messages);
    // The prompt continues the parent's prompt and answer (concat), then the new message's tokens.
    prompt = parentIds ? [...prompt, ...parentIds, ...new Array(NEW_PROMPT_TOKENS).fill(turn)] : new Array(300).fill(1);
    const output = Array.from({ length: OUTPUT_TOKENS }, (_, i) => 1000 + ((index + turn + i) % 5000));
    const answer = { role: 'assistant', content: text(`answer ${turn}`, OUTPUT_TOKENS) };
    cache.insert({
      id: `s${index}-t${turn}`,
      kind: 'tokens',
      messages,
      chatTemplateType: 'concat',
      parentId: parent?.id ?? null,
      promptIds: Int32Array.from(prompt),
      outputIds: Int32Array.from(output),
      outputLogprobs: Float32Array.from(output, (id) => -id / 1e4),
      outputVersions: Int32Array.from(output, () => turn),
      stopReason: 'stop',
      outputMessages: [answer],
      reward: null,
      createdAt: Date.now(),
    });
    conversation.push(answer);
    parentIds = output;
    outputTokens += OUTPUT_TOKENS;
  }
  return { cache, finalTokens: prompt.length + OUTPUT_TOKENS, recordedTokens: 0, outputTokens };
}

export async function run({ quick, report }) {
  const sessions = quick ? 100 : 1000;
  gc();
  const before = process.memoryUsage();
  const kept = [];
  let finalTokens = 0;
  for (let i = 0; i < sessions; i++) {
    const session = recordSession(i);
    kept.push(session.cache);
    finalTokens += session.finalTokens;
  }
  gc();
  const after = process.memoryUsage();
  const heapBytes = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  const tokenArrayBytes = after.arrayBuffers - before.arrayBuffers;
  const rssBytes = after.rss - before.rss;
  // A recorded token: one of the trajectory's tokens (the last turn's prompt and answer, which
  // hold every earlier turn's), each with its id, and for answers a log-prob, a version and a
  // loss-mask bit. The mask is not stored: the export derives it from prompt and answer lengths.
  const perToken = heapBytes / finalTokens;
  report.figure(
    'sessions × turns, recorded tokens per session at the last turn',
    `${sessions} × ${TURNS}, ${finalTokens / sessions}`,
  );
  report.figure('heap + array buffers per session (KB)', (heapBytes / sessions / 1024).toFixed(1));
  report.figure(
    'of which token arrays (ids, log-probs) per recorded token (B)',
    (tokenArrayBytes / finalTokens).toFixed(1),
  );
  report.figure(`RSS growth for ${sessions} sessions (MB)`, (rssBytes / 1e6).toFixed(0));
  report.figure(`RSS with ${sessions} sessions recorded (MB)`, (after.rss / 1e6).toFixed(0));
  report.bar('heap per recorded token (messages, ids, log-probs, versions; the mask is derived at export)', perToken, {
    atMost: 16,
    unit: 'B',
    digits: 1,
  });
  report.check(
    'every session recorded every turn',
    kept.reduce((n, c) => n + c.size, 0),
    kept.every((c) => c.size === TURNS),
  );
  return {
    sessions,
    turns: TURNS,
    finalTokens,
    heapBytes,
    tokenArrayBytes,
    rssBytes,
    rss: after.rss,
    bytesPerToken: perToken,
  };
}
