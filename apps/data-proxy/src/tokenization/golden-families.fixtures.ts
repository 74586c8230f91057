// Test data for the tokenization tests (never built into dist/: `*.fixtures.ts` is excluded like specs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HfTokenizer, readModelFolder } from '@app/tokenizer';
import { harmonyHistory } from '../chat/parsers/harmony-parser.js';
import { llama31Folder, packageFolder } from '../../../../test/support/model-folders.js';
import { ChatTemplate } from './chat-template.js';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
export const GOLDEN = fileURLToPath(new URL('./golden/', import.meta.url));

/** A model family we ship a template for, as `golden/families.json` describes it. */
export interface GoldenFamily {
  /** Its golden cases' folder under `golden/`. */
  dir: string;
  tokenizer: string;
  llama31Names?: boolean;
  /** A template file (repository-relative) that replaces the folder's, or null for the folder's own. */
  template: string | null;
  decodeArguments: boolean;
  history: 'harmony' | null;
}

export const GOLDEN_FAMILIES = JSON.parse(readFileSync(join(GOLDEN, 'families.json'), 'utf8')) as Record<
  string,
  GoldenFamily
>;

/** The family's tokenizer and its chat template as the data proxy loads them. */
export async function loadFamilyTemplate(
  family: GoldenFamily,
): Promise<{ tokenizer: HfTokenizer; template: ChatTemplate }> {
  const tokenizer = await HfTokenizer.load(family.llama31Names ? llama31Folder() : packageFolder(family.tokenizer));
  const folder = await readModelFolder(tokenizer, family.template ? join(ROOT, family.template) : undefined);
  const template = new ChatTemplate(tokenizer, folder.chatTemplate!.source, family.history ? harmonyHistory : null);
  return { tokenizer, template };
}
