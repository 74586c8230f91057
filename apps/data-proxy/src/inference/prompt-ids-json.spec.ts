import { describe, expect, it } from '@jest/globals';
import {
  appendIdsJson,
  carryPromptIdsJson,
  engineRequestJson,
  idsJsonBytes,
  notePromptIdsJson,
  takePromptIdsJsonOf,
} from './prompt-ids-json.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

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

  it("carries a prompt's JSON to the interaction that holds it, for the one turn that continues it", () => {
    const ids = [4, 5, 6];
    const interaction = {};
    carryPromptIdsJson(ids, interaction);
    // Nothing registered for those ids: nothing carried.
    expect(takePromptIdsJsonOf(interaction, 3)).toBeUndefined();
    notePromptIdsJson(ids, bytes('4,5,6'));
    carryPromptIdsJson(ids, interaction);
    // The wrong length (another prompt) gets nothing; taking forgets it either way.
    expect(takePromptIdsJsonOf(interaction, 2)).toBeUndefined();
    carryPromptIdsJson(ids, interaction);
    expect(takePromptIdsJsonOf(interaction, 3)?.toString()).toBe('4,5,6');
    expect(takePromptIdsJsonOf(interaction, 3)).toBeUndefined();
  });

  it('appends new ids to kept bytes, as joining them all would', () => {
    expect(appendIdsJson(idsJsonBytes([1, 2]), [30, 4]).toString()).toBe('1,2,30,4');
    expect(appendIdsJson(idsJsonBytes([]), [7]).toString()).toBe('7');
    const kept = idsJsonBytes(Int32Array.from([5]));
    expect(appendIdsJson(kept, [])).toBe(kept);
  });
});
