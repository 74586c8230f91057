import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { chatTemplateFile, llama31Folder } from '../../../../test/support/model-folders.js';
import { DataProxyModel } from './data-proxy-model.js';

/** A model folder no family knows: a word-level vocabulary, a plain template. */
function unknownModel(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'unknown-model-'));
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      added_tokens: [
        { id: 2, content: '</s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      ],
      normalizer: null,
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab: { hello: 0, '[UNK]': 1, '</s>': 2 }, unk_token: '[UNK]' },
    }),
  );
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(content));
  return dir;
}

describe(DataProxyModel.name, () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('auto on a model it does not know: parses nothing, and says which parsers it fell back to', async () => {
    const dir = unknownModel({
      'tokenizer_config.json': {
        eos_token: '</s>',
        chat_template: '{% for m in messages %}{{ m.content }}{% endfor %}',
      },
    });
    dirs.push(dir);
    const logged = jest.spyOn(Logger.prototype, 'log');
    const model = await DataProxyModel.load({ tokenizerPath: dir, toolCallParser: 'auto', reasoningParser: 'auto' });
    expect(model.output.parsesToolCalls).toBe(false);
    expect(model.family).toBe('other');
    const messages = logged.mock.calls.map((args) => String(args[1]));
    expect(messages).toContain(
      '--tool-call-parser auto chose none (fell back: no known tool-call format in the template, model type or vocabulary); tool calls are not parsed',
    );
    expect(messages).toContain(
      '--reasoning-parser auto chose none (fell back: no reasoning markers in the template or vocabulary); answers are kept as generated',
    );
    logged.mockRestore();
  });

  it('refuses to start without a chat template', async () => {
    const dir = unknownModel({ 'tokenizer_config.json': { eos_token: '</s>' } });
    dirs.push(dir);
    await expect(
      DataProxyModel.load({ tokenizerPath: dir, toolCallParser: 'none', reasoningParser: 'none' }),
    ).rejects.toThrow('no chat template');
  });

  it('Llama 3.1: stops on <|eom_id|>, and concat closes a tool call with the <|eom_id|> it ended with', async () => {
    const model = await DataProxyModel.load({
      tokenizerPath: llama31Folder(),
      chatTemplate: chatTemplateFile('llama3.1-json-tools.jinja'),
      toolCallParser: 'llama3',
      reasoningParser: 'none',
    });
    expect(model.stopTokenIds).toEqual([128009, 128001, 128008]);
    expect(model.turnBoundaries?.closer(128008)).toBe(128008);
    expect(model.turnBoundaries?.closer(128009)).toBe(128009);
    expect(model.turnBoundaries?.closer(null)).toBe(128009);
  }, 60_000);
});
