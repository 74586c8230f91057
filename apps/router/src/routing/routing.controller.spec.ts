import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppException } from '@app/common';
import { RouteRequestDto } from '@app/contracts';
import { parseRouteRequest } from './routing.controller.js';

/** Whether the hand-written `/route` parser takes the body (it answers 422 otherwise). */
function parserAccepts(body: Record<string, unknown>): boolean {
  try {
    parseRouteRequest(body);
    return true;
  } catch (err) {
    if (err instanceof AppException && err.getStatus() === 422) return false;
    throw err;
  }
}

function dtoAccepts(body: Record<string, unknown>): boolean {
  return validateSync(plainToInstance(RouteRequestDto, body)).length === 0;
}

describe('parseRouteRequest', () => {
  // The DTO's limits, read back through what it accepts: 1024 for keys and paths, 512 for ids and models.
  const limits = { api_key: 1024, path: 1024, session_id: 512, model: 512 };

  it.each(Object.entries(limits))(
    '%s: accepts and refuses the same lengths and types as RouteRequestDto',
    (field, max) => {
      const bodies = [
        { [field]: 'x'.repeat(max) },
        { [field]: 'x'.repeat(max + 1) },
        { [field]: '' },
        { [field]: null },
        { [field]: 5 },
        { [field]: ['x'] },
      ];
      expect(bodies.map(parserAccepts)).toEqual(bodies.map(dtoAccepts));
      expect(bodies.map(parserAccepts)).toEqual([true, false, true, true, false, false]);
    },
  );
});
