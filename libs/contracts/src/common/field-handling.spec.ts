import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import * as prettier from 'prettier';
import { MESSAGES_SURFACE } from '../anthropic/messages-fields.js';
import { MessagesRequestDto } from '../anthropic/messages.dto.js';
import { CHAT_SURFACE } from '../openai/chat-fields.js';
import { ChatCompletionRequestDto } from '../openai/chat.dto.js';
import { COMPLETIONS_SURFACE } from '../openai/completions-fields.js';
import { TextCompletionRequestDto } from '../openai/completions.dto.js';
import { RESPONSES_SURFACE } from '../openai/responses-fields.js';
import { ResponsesRequestDto } from '../openai/responses.dto.js';
import {
  handlingCounts,
  handlingDescription,
  kindsDescription,
  type FieldHandling,
  type Handling,
  type HandlingTable,
  type RequestSurface,
} from './field-handling.js';

const SURFACES: [RequestSurface, { prototype: object }][] = [
  [CHAT_SURFACE, ChatCompletionRequestDto],
  [RESPONSES_SURFACE, ResponsesRequestDto],
  [MESSAGES_SURFACE, MessagesRequestDto],
  [COMPLETIONS_SURFACE, TextCompletionRequestDto],
];

const COMPATIBILITY = new URL('../../../../docs/COMPATIBILITY.md', import.meta.url);
const START = '<!-- request-surface tables: generated from libs/contracts (UPDATE_DOCS=1 jest field-handling) -->';
const END = '<!-- end of request-surface tables -->';

const LABEL: Record<Handling, string> = { honored: 'honored', refused: 'refused (400)', ignored: 'no effect' };

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function table(title: string, entries: HandlingTable, what: string): string {
  const rows = Object.entries(entries).map(([name, entry]: [string, FieldHandling]) => {
    const allowed = entry.allowed?.length
      ? ` (${entry.allowed.map((v) => `\`${JSON.stringify(v)}\``).join(', ')} accepted)`
      : '';
    return `| \`${name}\` | ${LABEL[entry.handling]}${allowed} | ${cell(entry.note)} |`;
  });
  return [`**${title}**`, '', `| ${what} | handling | what happens here |`, '| --- | --- | --- |', ...rows].join('\n');
}

/** The handling tables as COMPATIBILITY.md shows them: one section per API. */
function renderSurfaces(): string {
  return SURFACES.map(([surface]) => {
    const counts = handlingCounts(surface);
    return [
      `### ${surface.api}`,
      `${counts.honored} honored, ${counts.refused} refused, ${counts.ignored} accepted without effect.`,
      table('Fields of the official SDK’s request type', surface.fields, 'field'),
      table('Extensions (fields the SDK does not declare)', surface.extensions, 'field'),
      ...Object.entries(surface.kinds).map(([kind, entries]) =>
        table(kind[0].toUpperCase() + kind.slice(1), entries, 'value'),
      ),
    ].join('\n\n');
  }).join('\n\n');
}

/** A markdown document with table cells' padding removed (prettier aligns columns; the content is what counts). */
function normalize(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) =>
      line.startsWith('|')
        ? line
            .split(/(?<!\\)\|/)
            .map((c) => c.trim().replace(/^-+$/, '---'))
            .join('|')
        : line.trim(),
    )
    .filter((line) => line.length > 0)
    .join('\n');
}

describe('the handling tables are what Swagger and docs/COMPATIBILITY.md show', () => {
  it('docs/COMPATIBILITY.md holds the tables as generated (UPDATE_DOCS=1 rewrites them)', async () => {
    const doc = readFileSync(COMPATIBILITY, 'utf8');
    const start = doc.indexOf(START);
    const end = doc.indexOf(END);
    expect([start >= 0, end > start]).toEqual([true, true]);
    const generated = renderSurfaces();
    if (process.env.UPDATE_DOCS === '1') {
      const updated = `${doc.slice(0, start + START.length)}\n\n${generated}\n\n${doc.slice(end)}`;
      writeFileSync(COMPATIBILITY, await prettier.format(updated, { parser: 'markdown', printWidth: 120 }));
      return;
    }
    expect(normalize(doc.slice(start + START.length, end))).toBe(normalize(generated));
  });

  it.each(SURFACES.map(([surface, dto]) => [surface.api, surface, dto] as const))(
    '%s: every field’s Swagger description is its handling',
    (_api, surface, dto) => {
      for (const [field, entry] of Object.entries({ ...surface.fields, ...surface.extensions })) {
        const property = Reflect.getMetadata('swagger/apiModelProperties', dto.prototype, field) as
          { description?: string } | undefined;
        expect([field, property?.description]).toEqual([field, handlingDescription(entry)]);
      }
      // The value tables (roles, part types …) describe the request schema.
      const [schema] = (Reflect.getMetadata('swagger/apiSchema', dto) ?? []) as { description?: string }[];
      expect(schema?.description).toBe(kindsDescription(surface));
      for (const entries of Object.values(surface.kinds))
        for (const [name, entry] of Object.entries(entries))
          expect(schema?.description).toContain(`\`${name}\`: ${handlingDescription(entry)}`);
    },
  );
});
