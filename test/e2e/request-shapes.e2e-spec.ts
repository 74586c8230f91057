import { describe, expect, it } from '@jest/globals';
import { isAllowedValue, type FieldHandling, type RequestSurface } from '@app/contracts';
import { CHAT, CHAT_FIELD_SAMPLES, CHAT_KIND_SAMPLES } from './surface/chat.js';
import { COMPLETIONS, COMPLETIONS_FIELD_SAMPLES, COMPLETIONS_KIND_SAMPLES } from './surface/completions.js';
import {
  engineRequest,
  SurfaceStack,
  type ApiUnderTest,
  type Exchange,
  type KindSample,
  type Sample,
} from './surface/harness.js';
import { MESSAGES, MESSAGES_FIELD_SAMPLES, MESSAGES_KIND_SAMPLES } from './surface/messages.js';
import { RESPONSES, RESPONSES_FIELD_SAMPLES, RESPONSES_KIND_SAMPLES } from './surface/responses.js';

type KindTables = Record<
  string,
  { samples: Partial<Record<string, KindSample>>; refusedAs?: (kind: string) => KindSample }
>;

const SUITES: { api: ApiUnderTest; fields: Record<string, Sample[]>; kinds: KindTables }[] = [
  { api: CHAT, fields: CHAT_FIELD_SAMPLES, kinds: CHAT_KIND_SAMPLES },
  { api: RESPONSES, fields: RESPONSES_FIELD_SAMPLES, kinds: RESPONSES_KIND_SAMPLES },
  { api: MESSAGES, fields: MESSAGES_FIELD_SAMPLES, kinds: MESSAGES_KIND_SAMPLES },
  { api: COMPLETIONS, fields: COMPLETIONS_FIELD_SAMPLES, kinds: COMPLETIONS_KIND_SAMPLES },
];

const allFields = (surface: RequestSurface): [string, FieldHandling][] =>
  Object.entries({ ...surface.fields, ...surface.extensions });

/** `field = value (with …) → what must happen`, for the test's name. */
function label(field: string, entry: FieldHandling, sample: Sample | undefined): string {
  if (!sample) return `${field}: no sample`;
  const shown = sample.prepare ? '<an earlier turn>' : (JSON.stringify(sample.value) ?? 'undefined');
  const value = shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
  const context = sample.with ? ` with ${Object.keys(sample.with).join(', ')}` : '';
  const refused = sample.refused || (entry.handling === 'refused' && !isAllowedValue(entry, sample.value));
  const outcome = refused
    ? `refused (${sample.status ?? 400})`
    : entry.handling === 'honored'
      ? 'honored'
      : 'no effect';
  return `${field} = ${value}${context} → ${outcome}`;
}

/**
 * Generated from the handling tables: for every field of every API (the official SDK's request
 * fields and the engine extensions served) and every value of every kind table (roles, content
 * part and block types, tool types, tool choices, item types …), a request that uses it gets its
 * declared handling: honored → 200 and its effect (on the answer, the engine request, the
 * recording); accepted without effect → 200 and the very engine request and answer the same request
 * without it gets; refused → a 400 naming it, in the API's own error shape. The data proxy runs
 * in-process (so the engine request can be seen) against a real engine-sim.
 */
describe('the request surface: every declared handling, generated from the tables', () => {
  const stack = SurfaceStack.forSuite();

  describe('responses: an item_reference names a recorded item of the caller’s session, or gets a 404', () => {
    const send = (body: Record<string, unknown>): Promise<Exchange> =>
      stack.send(RESPONSES, { ...RESPONSES.base, ...body });
    const referTo = (id: string) => send({ input: [{ type: 'item_reference', id }] });
    const expectNotFound = (x: Exchange): void => {
      expect(x.status).toBe(404);
      RESPONSES.expectRefusal(x, 'input[0]');
      expect(x.json.error.code).toBe('item_not_found');
    };

    it('an id that names no item: 404 in the Responses error shape', async () => {
      expectNotFound(await referTo('msg_0123456789abcdef'));
      expectNotFound(await referTo('not-an-item-id'));
    });

    it('an item of a response sent with store: false cannot be referred to; a stored one can', async () => {
      const unstored = await send({ input: 'remember nothing', store: false });
      expect(unstored.status).toBe(200);
      const unstoredItem = (unstored.json.output as { id: string }[])[0].id;
      expectNotFound(await referTo(unstoredItem));
      const stored = await send({ input: 'remember this' });
      const storedItem = (stored.json.output as { id: string }[])[0].id;
      const referred = await referTo(storedItem);
      expect([referred.status, referred.json.error ?? null]).toEqual([200, null]);
      expect(referred.prompt).toContain('<|im_start|>assistant\nremember this<|im_end|>');
    });
  });

  for (const { api, fields, kinds } of SUITES) {
    const send = (body: Record<string, unknown>): Promise<Exchange> => stack.send(api, { ...api.base, ...body });

    describe(`${api.name}: fields`, () => {
      const cases = allFields(api.surface).flatMap(([field, entry]) =>
        (fields[field] ?? [undefined]).map((sample) => [label(field, entry, sample), field, entry, sample] as const),
      );
      it.each(cases)('%s', async (_label, field, entry, sample) => {
        expect(sample).toBeDefined();
        const { value: given, prepare, check } = sample;
        const value = prepare ? await prepare(send) : given;
        const request = { ...sample.with, [field]: value };
        const refused = sample.refused || (entry.handling === 'refused' && !isAllowedValue(entry, value));
        const x = await send(request);
        if (refused) {
          expect(x.status).toBe(sample.status ?? 400);
          api.expectRefusal(x, field);
          return;
        }
        expect([x.status, x.json?.error ?? null]).toEqual([200, null]);
        if (entry.handling === 'honored') {
          expect(check).toBeDefined();
          check!(x, check!.length >= 2 ? await send({ ...sample.with }) : x);
          return;
        }
        // Accepted without effect: the engine is asked exactly what it is asked without the field.
        const base = await send({ ...sample.with });
        expect(engineRequest(x)).toEqual(engineRequest(base));
        expect(x.content).toBe(base.content);
      });
    });

    const kindCases = Object.entries(api.surface.kinds).flatMap(([table, values]) =>
      Object.entries(values).map(([kind, entry]) => [table, kind, entry] as const),
    );
    if (kindCases.length === 0) continue;
    describe(`${api.name}: kinds`, () => {
      it.each(kindCases)('%s %s', async (table, kind, entry) => {
        const tables = kinds[table];
        const sample = tables.samples[kind] ?? (entry.handling === 'refused' ? tables.refusedAs?.(kind) : undefined);
        expect(sample).toBeDefined();
        const body = sample!.prepare ? await sample!.prepare(send) : sample!.body;
        const x = await send(body);
        if (entry.handling === 'refused') {
          expect(sample!.param).toBeDefined();
          api.expectRefusal(x, sample!.param!);
          return;
        }
        expect([x.status, x.json?.error ?? null]).toEqual([200, null]);
        expect(sample!.check).toBeDefined();
        sample!.check!(x);
      });
    });
  }
});
