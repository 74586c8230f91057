import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { HfTokenizer } from '@app/tokenizer';
import type { ChatTemplate } from './chat-template.js';
import { GOLDEN, GOLDEN_FAMILIES, loadFamilyTemplate } from './golden-families.fixtures.js';

/**
 * Golden prompts per family: `scripts/golden-prompts.py` renders each case with Python's jinja2 as
 * transformers does (from the family's template), and `npm run golden:prompts` then writes the ids
 * the plain tokenizer gives that text (`UPDATE_GOLDEN=1` here). We render and encode the same case
 * through our pipeline (the piece cache included) and must get the same text and the same ids.
 */
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface Cases {
  tools: unknown[];
  cases: Record<string, { messages: unknown[]; kwargs: Record<string, unknown>; withTools?: boolean }>;
}

describe.each(Object.entries(GOLDEN_FAMILIES))('golden prompts: %s', (_name, family) => {
  const dir = join(GOLDEN, family.dir);
  const spec = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as Cases;
  let tokenizer: HfTokenizer;
  let template: ChatTemplate;

  beforeAll(async () => {
    ({ tokenizer, template } = await loadFamilyTemplate(family));
    // gpt-oss's tokenizer.json is 27 MB: seconds to load on a busy machine.
  }, 60_000);

  it('reads tool-call arguments the way the golden renderer was told', () => {
    expect(template.decodesArguments).toBe(family.decodeArguments);
  });

  it.each(Object.keys(spec.cases))('%s: same text and same ids', async (name) => {
    const c = spec.cases[name];
    const input = { messages: c.messages, tools: c.withTools ? spec.tools : null, kwargs: c.kwargs };
    const golden = readFileSync(join(dir, `${name}.txt`), 'utf8');
    if (UPDATE) writeFileSync(join(dir, `${name}.ids.json`), `${JSON.stringify(await tokenizer.encode(golden))}\n`);
    expect(template.render(input)).toBe(golden);
    const ids = JSON.parse(readFileSync(join(dir, `${name}.ids.json`), 'utf8')) as number[];
    expect(await template.encode(input)).toEqual(ids);
    // Rendered by the compiled template, not the interpreter.
    expect(template.interpreterRenders).toBe(0);
  });
});
