#!/usr/bin/env node
// `node bench/prompt-path.mjs <checkout> <hf|concat> [--episodes N]`: CPU per turn of a turn's prompt
// path (the chat template continued or rendered, the concat prompt built, the turn recorded in its
// session's interaction cache, its prompt JSON carried as the chat service carries it) over
// 128-turn agent episodes, first 16 turns against last 16, in process. It leaves out what does not
// grow with the conversation (HTTP, the engine), so it shows what the history costs a late turn
// with far less noise than `long-episode`; run it alternately on two checkouts
// (`git worktree add /tmp/base <rev>`, then `npm run build` in each) to decide a change there.
// Example: node bench/prompt-path.mjs /tmp/base concat; node bench/prompt-path.mjs . concat
import { resolve } from 'node:path';
import { parseCommandLine } from '../scripts/lib/command-line.mjs';
import { filler, observation, openingMessages } from './lib/agent-conversation.mjs';

const { flags, positionals } = parseCommandLine(
  {
    usage: 'node bench/prompt-path.mjs <checkout> <hf|concat> [--episodes N]',
    description:
      "CPU per turn of a turn's prompt path (template, concat build, record) over 128-turn episodes, early against late, in process: what the conversation's length costs a turn.",
    positionals: [
      { name: 'checkout', description: 'a checkout with a build (dist/)' },
      { name: 'mode', description: 'the chat template type', choices: ['hf', 'concat'] },
    ],
    flags: {
      episodes: { type: 'string', value: 'N', default: '16', description: 'episodes (the first two warm up)' },
    },
  },
  process.argv.slice(2),
);
const [checkout, mode] = positionals;
const episodes = Number(flags.episodes);
if (positionals.length < 2 || !Number.isInteger(episodes) || episodes < 3) {
  console.error('usage: node bench/prompt-path.mjs <checkout> <hf|concat> [--episodes N] (N ≥ 3)');
  process.exit(2);
}
const TURNS = 128;
const WINDOW = 16;
const root = resolve(checkout);
const src = `${root}/dist/apps/data-proxy/src`;
const { DataProxyModel } = await import(`${src}/tokenization/data-proxy-model.js`);
const { buildConcatPrompt, buildHfPrompt } = await import(`${src}/tokenization/prompt-builder.js`);
const { InteractionCache } = await import(`${src}/sessions/interaction.js`);
const { carryPrompt } = await import(`${src}/inference/prompt-ids-json.js`);
const { Logger } = await import('@nestjs/common');
Logger.overrideLogger(false);
const model = await DataProxyModel.load(undefined);

const answerIds = await model.tokenizer.encode(filler(99, 50));
const outputIds = Int32Array.from([...answerIds, model.stopTokenIds[0]]);

/** One episode as `long-episode` grows it (a system prompt, a task, an observation per turn); µs of CPU per turn. */
async function episode(seed) {
  const cache = new InteractionCache();
  const messages = openingMessages(seed);
  let parent = null;
  const cpu = [];
  for (let turn = 0; turn < TURNS; turn++) {
    if (turn > 0) messages.push(observation(seed, turn));
    const id = `e${seed}-${turn}`;
    const input = {
      messages: messages.slice(),
      tools: null,
      kwargs: {},
      conversation: `e${seed}`,
      continuation: { from: parent?.id ?? null, as: id },
    };
    const answer = { role: 'assistant', content: filler(seed * 7 + turn, 50) };
    const started = process.cpuUsage();
    const prompt =
      mode === 'concat' ? await buildConcatPrompt(model, input, parent) : await buildHfPrompt(model, input);
    const recorded = cache.insert({
      id,
      kind: 'tokens',
      messages: input.messages,
      chatTemplateType: mode,
      parentId: parent?.id ?? null,
      promptIds: prompt,
      outputIds: outputIds.slice(),
      outputLogprobs: new Float32Array(outputIds.length),
      outputVersions: new Int32Array(outputIds.length),
      stopReason: 'stop',
      outputMessages: [answer],
      reward: null,
      createdAt: 0,
    });
    if (mode === 'concat') carryPrompt(prompt, id);
    const used = process.cpuUsage(started);
    cpu.push(used.user + used.system);
    parent = recorded;
    messages.push(answer);
  }
  return cpu;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const early = [];
const late = [];
const growth = [];
for (let e = 0; e < episodes; e++) {
  const cpu = await episode(1000 + e);
  if (e < 2) continue;
  early.push(mean(cpu.slice(0, WINDOW)));
  late.push(mean(cpu.slice(-WINDOW)));
  growth.push(mean(cpu.slice(-WINDOW)) - mean(cpu.slice(0, WINDOW)));
}
console.log(
  `prompt path ${mode} ${checkout}: CPU per turn, first / last ${WINDOW} of ${TURNS} turns ${median(early).toFixed(0)} / ${median(late).toFixed(0)} µs, late minus early ${median(growth).toFixed(0)} µs (medians of ${early.length} episodes)`,
);
