import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { StrictRequestDto, WaitTrajectoriesRequestDto } from '../controller/control.dto.js';
import { EpisodeRequestDto } from '../controller/rollout.dto.js';
import { ExportTrajectoriesRequestDto } from '../data-proxy/sessions.dto.js';

type Dto = new () => object;

/** The messages of the rules `field` breaks in `body` (none: accepted). */
async function refusals(dto: Dto, body: Record<string, unknown>, field: string): Promise<string[]> {
  const errors = await validate(plainToInstance(dto, body), { whitelist: true });
  return Object.values(errors.find((error) => error.property === field)?.constraints ?? {});
}

const EXPORT_REQUESTS: [string, Dto][] = [
  [EpisodeRequestDto.name, EpisodeRequestDto],
  [WaitTrajectoriesRequestDto.name, WaitTrajectoriesRequestDto],
  [ExportTrajectoriesRequestDto.name, ExportTrajectoriesRequestDto],
];

/** A request, a field, a value of another option (or none), and the endpoint's refusal. */
const REFUSALS: [Dto, string, string, string][] = [
  [EpisodeRequestDto, 'style', 'rpc', 'style must be "individual" or "concat"'],
  [EpisodeRequestDto, 'format', 'concat', 'format must be "json" or "rpc"'],
  [EpisodeRequestDto, 'schema', 'json', 'schema must be "interactions" or "traj" (AReaL 2.0)'],
  [WaitTrajectoriesRequestDto, 'style', 'traj', 'style must be one of the following values: individual, concat'],
  [WaitTrajectoriesRequestDto, 'format', 'x', 'format must be one of the following values: rpc, json'],
  [ExportTrajectoriesRequestDto, 'style', 'json', 'Invalid export interactions style'],
  [ExportTrajectoriesRequestDto, 'schema', 'rpc', 'schema must be "interactions" or "traj" (AReaL 2.0)'],
];

describe('ExportOption: an export option field takes the values of the option its property names', () => {
  it.each(REFUSALS.map(([dto, field, value, message]) => [dto.name, field, value, dto, message] as const))(
    '%s: %s %p is refused in the endpoint’s words',
    async (_name, field, value, dto, message) => {
      expect(await refusals(dto, { [field]: value }, field)).toEqual([message]);
    },
  );

  it.each(EXPORT_REQUESTS)('%s takes every value of each option, and no option at all', async (_name, dto) => {
    for (const body of [
      { style: 'concat', format: 'rpc', schema: 'traj' },
      { style: 'individual', format: 'json' },
      {},
    ])
      for (const field of ['style', 'format', 'schema']) expect(await refusals(dto, body, field)).toEqual([]);
  });
});

describe('OptionalBoolean', () => {
  it('takes true, false, null or nothing, and refuses anything else', async () => {
    for (const strict of [true, false, null, undefined])
      expect(await refusals(StrictRequestDto, { strict }, 'strict')).toEqual([]);
    for (const strict of ['true', 1, {}])
      expect(await refusals(StrictRequestDto, { strict }, 'strict')).toEqual(['strict must be a boolean value']);
  });
});
