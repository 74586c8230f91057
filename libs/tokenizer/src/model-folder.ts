import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HfTokenizer } from './hf-tokenizer.js';

/** Where a chat template came from (said in the startup log). */
export type ChatTemplateOrigin = 'flag' | 'chat_template.jinja' | 'tokenizer_config.json';

/** What a Hugging Face model folder says beyond its tokenizer, read once at startup. */
export interface ModelFolder {
  /** `config.json`'s `model_type` (`llama`, `deepseek_v3`, `gpt_oss`, ...), when the folder has one. */
  modelType: string | null;
  /** `generation_config.json`'s `eos_token_id` (an int or a list), when the folder has one. */
  generationEosIds: number[];
  /** The chat template source and where it came from; null when there is none anywhere. */
  chatTemplate: { source: string; origin: ChatTemplateOrigin; path: string } | null;
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

function idList(value: unknown): number[] {
  if (typeof value === 'number' && Number.isInteger(value)) return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === 'number' && Number.isInteger(v));
  return [];
}

/**
 * Reads the model folder around `tokenizer` the way `transformers` and the engines do: the chat
 * template from `templateFile` when given (an engine's `--chat-template`), else the folder's own
 * `chat_template.jinja` (newer folders keep it there), else `tokenizer_config.json`'s
 * `chat_template` (a string, or the list of named templates: `default` first); the end-of-generation
 * ids from `generation_config.json`; the model type from `config.json`. A file that is present but
 * unreadable is an error (a broken folder must not start serving with half its settings).
 */
export async function readModelFolder(tokenizer: HfTokenizer, templateFile?: string): Promise<ModelFolder> {
  const folder = tokenizer.path;
  let chatTemplate: ModelFolder['chatTemplate'] = null;
  if (templateFile) {
    const source = await readOptional(templateFile);
    if (source === null) throw new Error(`chat template file ${templateFile} does not exist`);
    chatTemplate = { source, origin: 'flag', path: templateFile };
  } else {
    const jinjaPath = join(folder, 'chat_template.jinja');
    const source = await readOptional(jinjaPath);
    if (source !== null) chatTemplate = { source, origin: 'chat_template.jinja', path: jinjaPath };
    else if (tokenizer.chatTemplate !== null)
      chatTemplate = {
        source: tokenizer.chatTemplate,
        origin: 'tokenizer_config.json',
        path: join(folder, 'tokenizer_config.json'),
      };
  }

  const generationPath = join(folder, 'generation_config.json');
  const generationText = await readOptional(generationPath);
  const generation = generationText === null ? {} : parseJson(generationText, generationPath);
  const generationEosIds =
    typeof generation === 'object' && generation !== null
      ? idList((generation as Record<string, unknown>).eos_token_id)
      : [];

  const configPath = join(folder, 'config.json');
  const configText = await readOptional(configPath);
  const config = configText === null ? {} : parseJson(configText, configPath);
  const modelType =
    typeof config === 'object' && config !== null && typeof (config as Record<string, unknown>).model_type === 'string'
      ? ((config as Record<string, unknown>).model_type as string)
      : null;
  return { modelType, generationEosIds, chatTemplate };
}
