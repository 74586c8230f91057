// The conversation of a benchmark's coding agent (long-episode, prompt-path): deterministic text,
// new per turn and per run, that grows the prompt as an agent's observations do.

const WORDS = (
  'the agent reads a file runs the tests edits a function and checks the output again while the trainer ' +
  'updates weights underneath every token keeps the version that produced it parsers split tool calls ' +
  'from reasoning and the episode goes on until the task is solved or the budget ends with a reward'
).split(' ');

/** Deterministic filler text: `words` words from a stream seeded by `seed` (new text per turn and per run). */
export function filler(seed, words) {
  let x = seed >>> 0 || 1;
  const out = [];
  for (let i = 0; i < words; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out.push(WORDS[x % WORDS.length]);
  }
  return out.join(' ');
}

/** The conversation an agent starts with: a system prompt and its task (≈ 220 tokens). */
export function openingMessages(seed) {
  return [
    {
      role: 'system',
      content: `You are a coding agent. Work step by step and report what you observe. ${filler(seed, 20)}`,
    },
    { role: 'user', content: `Task ${seed}: ${filler(seed + 1, 160)}` },
  ];
}

/** An observation the agent adds to its conversation after `turn`. */
export const observation = (seed, turn) => ({
  role: 'user',
  content: `Observation ${turn}: ${filler(seed * 1000 + turn, 48)}`,
});
