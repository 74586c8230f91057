// tokenize: chat template + encode of a new ~200, ~2k and ~20k-token prompt, as the data proxy
// does it for a turn it has not seen (docs/BENCHMARKS.md, tokenize). In-process: this is the data
// proxy's own code (from dist/), timed call by call; each call's user turn is new, so the prompt
// piece cache does not help. The turn repeats a small vocabulary, as prose does, so the encoder's
// word cache answers most words; a last figure (reported, not judged) gives the worst case, a turn
// whose every word is one the encoder has never seen.
import { ChatTemplate } from '../../dist/apps/data-proxy/src/tokenization/chat-template.js';
import { HfTokenizer, readModelFolder } from '../../dist/libs/tokenizer/src/index.js';

export const description = 'Qwen3 chat template + encode of a new prompt: ~200, ~2k, ~20k tokens; ~2k of unseen words';

const WORDS =
  'The trainer updates the weights while agents keep running episodes; every token carries the version of the weights that produced it, and nothing is lost when generation pauses. '.split(
    ' ',
  );

function text(words) {
  return Array.from({ length: words }, (_, i) => WORDS[i % WORDS.length]).join(' ');
}

/** `count` made-up words (a seeded generator, so no two calls share many): nothing for a word cache to find. */
function unseenWords(count, seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const letters = 'etaoinshrdlucmfwypvbgkjqxz';
  const words = [];
  for (let i = 0; i < count; i++) {
    let word = '';
    const length = 3 + Math.floor(next() * 8);
    for (let j = 0; j < length; j++) word += letters[Math.floor(next() ** 1.5 * letters.length)];
    words.push(word);
  }
  return words.join(' ');
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Calls per size that run before the timed ones (JIT, the template's first compile) and are not counted. */
const WARMUP_CALLS = 3;

export async function run({ quick, report }) {
  // The built-in Qwen3 folder and its own template, as the data proxy loads them by default.
  const tokenizer = await HfTokenizer.load();
  const folder = await readModelFolder(tokenizer);
  const template = new ChatTemplate(tokenizer, folder.chatTemplate.source);
  const sizes = [
    ['~200', 150, quick ? 50 : 500],
    ['~2k', 1800, quick ? 20 : 200],
    ['~20k', 18000, quick ? 3 : 30],
  ];
  const result = {};
  for (const [label, words, iterations] of sizes) {
    const body = text(words);
    const times = [];
    let tokens = 0;
    for (let i = -WARMUP_CALLS; i < iterations; i++) {
      const input = {
        messages: [
          { role: 'system', content: 'You are a helpful assistant.' },
          { role: 'user', content: `Request ${i} ${Math.random()}: ${body}` },
        ],
        tools: null,
        kwargs: {},
      };
      const started = process.hrtime.bigint();
      const ids = await template.encode(input);
      const us = Number(process.hrtime.bigint() - started) / 1000;
      if (i >= 0) times.push(us);
      tokens = ids.length;
    }
    times.sort((a, b) => a - b);
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    report.figure(`${label} (${tokens} tokens) p50 / p99 (µs)`, `${p50.toFixed(0)} / ${p99.toFixed(0)}`);
    result[label] = { tokens, iterations, warmupCalls: WARMUP_CALLS, p50Us: p50, p99Us: p99 };
    report.check(`${label}: prompt encoded`, `${tokens} tokens`, tokens > 0);
  }
  const unseen = [];
  let unseenTokens = 0;
  for (let i = -WARMUP_CALLS; i < (quick ? 10 : 50); i++) {
    const input = {
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: unseenWords(900, 1000 + i) },
      ],
      tools: null,
      kwargs: {},
    };
    const started = process.hrtime.bigint();
    const ids = await template.encode(input);
    if (i >= 0) unseen.push(Number(process.hrtime.bigint() - started) / 1000);
    unseenTokens = ids.length;
  }
  unseen.sort((a, b) => a - b);
  report.figure(
    `~2k of unseen words (${unseenTokens} tokens) p50 / p99 (µs)`,
    `${percentile(unseen, 50).toFixed(0)} / ${percentile(unseen, 99).toFixed(0)}`,
  );
  result.unseenWords = { tokens: unseenTokens, p50Us: percentile(unseen, 50), p99Us: percentile(unseen, 99) };
  report.bar('2k-token prompt, p50', result['~2k'].p50Us / 1000, { atMost: 2, goal: 1, unit: 'ms', digits: 2 });
  report.goal('20k-token prompt, p50', result['~20k'].p50Us / 1000, { atMost: 10, unit: 'ms', digits: 1 });
  return result;
}
