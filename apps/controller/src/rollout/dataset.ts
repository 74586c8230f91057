import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export class DatasetError extends Error {}

/** Largest dataset file read into memory (items are small prompts; a larger file is a mistake). */
const MAX_DATASET_BYTES = 256 * 1024 * 1024;

/**
 * Reads a JSONL dataset: one JSON object per line, blank lines skipped. Every line is checked
 * before any episode starts, so a malformed file is refused whole, with its line number.
 */
export function readJsonlDataset(path: string): { file: string; items: unknown[] } {
  if (typeof path !== 'string' || path.trim().length === 0) throw new DatasetError('dataset must be a file path');
  const file = resolve(process.cwd(), path);
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_DATASET_BYTES) throw new DatasetError(`${file} is larger than ${MAX_DATASET_BYTES} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(`cannot read dataset ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const items: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.length === 0) continue;
    let item: unknown;
    try {
      item = JSON.parse(line);
    } catch {
      throw new DatasetError(`${file}:${i + 1}: not valid JSON`);
    }
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new DatasetError(`${file}:${i + 1}: each line must be a JSON object`);
    items.push(item);
  }
  if (items.length === 0) throw new DatasetError(`${file} has no items`);
  return { file, items };
}

/** Walks a dataset in order, forever: the position persists across batches, an epoch per pass. */
export class DatasetCursor {
  position = 0;
  epoch = 0;

  constructor(readonly items: readonly unknown[]) {}

  next(): { item: unknown; index: number } {
    const index = this.position;
    const item = this.items[index];
    this.position++;
    if (this.position >= this.items.length) {
      this.position = 0;
      this.epoch++;
    }
    return { item, index };
  }

  reset(): void {
    this.position = 0;
    this.epoch = 0;
  }
}
