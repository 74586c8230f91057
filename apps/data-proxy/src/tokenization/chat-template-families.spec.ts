import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { HfTokenizer, readModelFolder } from '@app/tokenizer';
import { harmonyHistory } from '../chat/parsers/harmony-parser.js';
import { llama31Folder, packageFolder } from '../../../../test/support/model-folders.js';
import { ChatTemplate } from './chat-template.js';

/**
 * Golden prompts per family: `scripts/golden-prompts.py` renders each case with Python's jinja2 as
 * transformers does (from the family's template), and `npm run golden:prompts` then writes the ids
 * the plain tokenizer gives that text (`UPDATE_GOLDEN=1` here). We render and encode the same case
 * through our pipeline (the piece cache included) and must get the same text and the same ids.
 */
const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const GOLDEN = fileURLToPath(new URL('./golden/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface Family {
  dir: string;
  tokenizer: string;
  llama31Names?: boolean;
  template: string | null;
  decodeArguments: boolean;
  history: 'harmony' | null;
}
interface Cases {
  tools: unknown[];
  cases: Record<string, { messages: unknown[]; kwargs: Record<string, unknown>; withTools?: boolean }>;
}

const families = JSON.parse(readFileSync(join(GOLDEN, 'families.json'), 'utf8')) as Record<string, Family>;

describe.each(Object.entries(families))('golden prompts: %s', (_name, family) => {
  const dir = join(GOLDEN, family.dir);
  const spec = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as Cases;
  let tokenizer: HfTokenizer;
  let template: ChatTemplate;

  beforeAll(async () => {
    tokenizer = await HfTokenizer.load(family.llama31Names ? llama31Folder() : packageFolder(family.tokenizer));
    const folder = await readModelFolder(tokenizer, family.template ? join(ROOT, family.template) : undefined);
    template = new ChatTemplate(tokenizer, folder.chatTemplate!.source, family.history ? harmonyHistory : null);
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
