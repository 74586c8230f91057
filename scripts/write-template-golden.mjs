#!/usr/bin/env node
// Regenerates the chat-template golden files from apps/data-proxy/src/tokenization/golden/cases.json
// with the built renderer (run `npm run build` first). Review the diff by eye before committing:
// the golden files are the contract the template tests hold us to.
import { readFileSync, writeFileSync } from 'node:fs';
import { HfTokenizer } from '../dist/libs/tokenizer/src/index.js';
import { ChatTemplate } from '../dist/apps/data-proxy/src/tokenization/chat-template.js';

const dir = new URL('../apps/data-proxy/src/tokenization/golden/', import.meta.url);
const { tools, cases } = JSON.parse(readFileSync(new URL('cases.json', dir), 'utf8'));
const tokenizer = await HfTokenizer.load();
const template = ChatTemplate.fromTokenizer(tokenizer);
for (const [name, c] of Object.entries(cases)) {
  const text = template.render({ messages: c.messages, tools: c.withTools ? tools : null, kwargs: c.kwargs });
  writeFileSync(new URL(`${name}.txt`, dir), text);
  console.log(`wrote ${name}.txt (${text.length} chars)`);
}
