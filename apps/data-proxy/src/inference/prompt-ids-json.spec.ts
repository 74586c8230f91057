import { describe, expect, it } from '@jest/globals';
import {
  appendIdsJson,
  carryPrompt,
  engineRequestJson,
  idsJson,
  idsJsonText,
  notePromptIdsJson,
  takeCarriedPrompt,
  type IdsJson,
} from './prompt-ids-json.js';

/** JSON given as text (any text: it shows which text a request was written from). */
const bytes = (text: string): IdsJson => ({ chunks: [Buffer.from(text, 'latin1')], byteLength: text.length });

describe('engineRequestJson', () => {
  it('writes registered prompt ids from their text, and the body means the same as JSON.stringify', () => {
    const ids = [1, 22, 333];
    // Text that differs from what serializing would give shows that the registered text is used.
    notePromptIdsJson(ids, bytes('1,22,333'));
    const body = { rid: 'r', input_ids: ids, sampling_params: { max_new_tokens: 4 }, stream: false, stop: ['é'] };
    const json = engineRequestJson(body, ids).toString();
    expect(json.startsWith('{"input_ids":[1,22,333],')).toBe(true);
    expect(JSON.parse(json)).toEqual(body);
  });

  it('serializes as usual an array nobody registered, or one that changed since', () => {
    const ids = [5, 6];
    const body = { prompt: ids, max_tokens: 3 };
    expect(engineRequestJson(body, ids)).toBe(JSON.stringify(body));
    notePromptIdsJson(ids, bytes('5,6'));
    ids.push(7);
    expect(engineRequestJson(body, ids)).toBe(JSON.stringify(body));
  });

  it('a body whose only field is the prompt', () => {
    const ids = [9];
    notePromptIdsJson(ids, bytes('9'));
    expect(engineRequestJson({ prompt: ids }, ids).toString()).toBe('{"prompt":[9]}');
  });

  it('carries a prompt (its ids and JSON) to the interaction that holds it, for the one turn that continues it', () => {
    const ids = [4, 5, 6];
    const interactionId = 'chatcmpl-carried';
    carryPrompt(ids, interactionId);
    // Nothing registered for those ids: nothing carried.
    expect(takeCarriedPrompt(interactionId, 3)).toBeUndefined();
    notePromptIdsJson(ids, bytes('4,5,6'));
    carryPrompt(ids, interactionId);
    // The wrong length (another prompt) gets nothing; taking forgets it either way.
    expect(takeCarriedPrompt(interactionId, 2)).toBeUndefined();
    carryPrompt(ids, interactionId);
    const taken = takeCarriedPrompt(interactionId, 3)!;
    expect(taken.ids).toBe(ids);
    expect(idsJsonText(taken.json)).toBe('4,5,6');
    expect(takeCarriedPrompt(interactionId, 3)).toBeUndefined();
  });

  it('appends new ids to kept JSON, as joining them all would', () => {
    expect(idsJsonText(appendIdsJson(idsJson([1, 2]), [30, 4]))).toBe('1,2,30,4');
    expect(idsJsonText(appendIdsJson(idsJson([]), [7]))).toBe('7');
    const kept = idsJson(Int32Array.from([5]));
    expect(appendIdsJson(kept, [])).toBe(kept);
  });

  it('shares the kept chunks instead of copying them, joins them past 64, and writes them all into the request', () => {
    const all = [3];
    let json = idsJson(all);
    const first = json;
    for (let turn = 1; turn <= 100; turn++) {
      const added = [turn, 1000 + turn];
      all.push(...added);
      json = appendIdsJson(json, added);
      if (turn === 1) expect(json.chunks[0]).toBe(first.chunks[0]);
      expect(json.chunks.length).toBeLessThanOrEqual(64);
      expect(json.byteLength).toBe(all.join(',').length);
    }
    expect(idsJsonText(json)).toBe(all.join(','));
    // Each chunk has a buffer of its own: a kept chunk never holds one of Node's shared pool slabs.
    for (const chunk of json.chunks) expect(chunk.buffer.byteLength).toBe(chunk.length);
    const prompt = all.slice();
    notePromptIdsJson(prompt, json);
    const body = { input_ids: prompt, sampling_params: { max_new_tokens: 4 } };
    expect(engineRequestJson(body, prompt).toString()).toBe(JSON.stringify(body));
  });
});
