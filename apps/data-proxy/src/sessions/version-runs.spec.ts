import { describe, expect, it } from '@jest/globals';
import { VersionRuns } from './version-runs.js';

describe(VersionRuns.name, () => {
  it.each([[[]], [[3]], [[3, 3, 3]], [[3, 3, 4, 4, 4, 3]], [[0, 1, 2, 3]], [[-1, -1, 7]]])(
    'gives back exactly the versions it was made from: %j',
    (versions) => {
      const runs = VersionRuns.of(Int32Array.from(versions));
      expect(runs.length).toBe(versions.length);
      expect([...runs]).toEqual(versions);
      expect(Array.from(runs.toInt32Array())).toEqual(versions);
    },
  );

  it('holds a long answer with one weight update as two runs, not one value per token', () => {
    const versions = [...new Array<number>(500).fill(6), ...new Array<number>(300).fill(7)];
    const runs = VersionRuns.of(versions);
    // Everything it holds, serialised: a few numbers, not 800.
    expect(JSON.stringify(runs).length).toBeLessThan(80);
    expect([...runs]).toEqual(versions);
  });
});
