import { describe, expect, it } from '@jest/globals';
import { carryPromptIdsJson, engineRequestJson, notePromptIdsJson, takePromptIdsJsonOf } from './prompt-ids-json.js';

describe('engineRequestJson', () => {
  it('writes registered prompt ids from their text, and the body means the same as JSON.stringify', () => {
    const ids = [1, 22, 333];
    // Text that differs from what serializing would give shows that the registered text is used.
    notePromptIdsJson(ids, '1,22,333');
    const body = { rid: 'r', input_ids: ids, sampling_params: { max_new_tokens: 4 }, stream: false };
    const json = engineRequestJson(body, ids);
    expect(json.startsWith('{"input_ids":[1,22,333],')).toBe(true);
    expect(JSON.parse(json)).toEqual(body);
  });

  it('serializes as usual an array nobody registered, or one that changed since', () => {
    const ids = [5, 6];
    const body = { prompt: ids, max_tokens: 3 };
    expect(engineRequestJson(body, ids)).toBe(JSON.stringify(body));
    notePromptIdsJson(ids, '5,6');
    ids.push(7);
    expect(engineRequestJson(body, ids)).toBe(JSON.stringify(body));
  });

  it('a body whose only field is the prompt', () => {
    const ids = [9];
    notePromptIdsJson(ids, '9');
    expect(engineRequestJson({ prompt: ids }, ids)).toBe('{"prompt":[9]}');
  });

  it("carries a prompt's JSON to the interaction that holds it, for the one turn that continues it", () => {
    const ids = [4, 5, 6];
    const interaction = {};
    carryPromptIdsJson(ids, interaction);
    // Nothing registered for those ids: nothing carried.
    expect(takePromptIdsJsonOf(interaction, 3)).toBeUndefined();
    notePromptIdsJson(ids, '4,5,6');
    carryPromptIdsJson(ids, interaction);
    // The wrong length (another prompt) gets nothing; taking forgets it either way.
    expect(takePromptIdsJsonOf(interaction, 2)).toBeUndefined();
    carryPromptIdsJson(ids, interaction);
    expect(takePromptIdsJsonOf(interaction, 3)).toBe('4,5,6');
    expect(takePromptIdsJsonOf(interaction, 3)).toBeUndefined();
  });
});
