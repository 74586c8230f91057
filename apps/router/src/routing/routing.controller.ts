import { Body, Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AdminOnly, maxLengthsOf, validationFailed, type ValidationIssue } from '@app/common';
import { RouteRequestDto, RouteResponseDto } from '@app/contracts';
import { RouterPost } from '../router-operation.js';
import { RouteService } from './route.service.js';

@ApiTags('routing')
@AdminOnly()
@Controller()
export class RoutingController {
  constructor(private readonly routes: RouteService) {}

  @RouterPost('route', {
    summary: 'Which worker serves this request (by session id, session key, admin key or model)',
    answer: RouteResponseDto,
    body: RouteRequestDto,
    errors: { 404: 'Unknown API key, session or model', 503: 'No healthy workers, or the pinned worker is unhealthy' },
  })
  route(@Body() body: unknown): RouteResponseDto {
    return this.routes.route(parseRouteRequest(body));
  }
}

/** Every field of the body and its length limit, as RouteRequestDto declares them. */
const ROUTE_FIELDS = Object.entries(maxLengthsOf(RouteRequestDto)) as [keyof RouteRequestDto, number][];

/**
 * `/route` is on every chat turn's path, so its body is checked by hand (same rules and 422 shape
 * as the class-validator DTOs elsewhere, without their per-request cost).
 */
export function parseRouteRequest(body: unknown): RouteRequestDto {
  if (body === undefined || body === null)
    throw validationFailed([{ loc: ['body'], msg: 'Field required', type: 'missing' }]);
  if (typeof body !== 'object' || Array.isArray(body))
    throw validationFailed([{ loc: ['body'], msg: 'Input should be a JSON object', type: 'model_type' }]);
  const issues: ValidationIssue[] = [];
  const out: RouteRequestDto = {};
  for (const [field, maxLength] of ROUTE_FIELDS) {
    const value = (body as Record<string, unknown>)[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string')
      issues.push({ loc: ['body', field], msg: `${field} must be a string`, type: 'isString' });
    else if (value.length > maxLength)
      issues.push({
        loc: ['body', field],
        msg: `${field} must be shorter than or equal to ${maxLength} characters`,
        type: 'maxLength',
      });
    else out[field] = value;
  }
  if (issues.length > 0) throw validationFailed(issues);
  return out;
}
