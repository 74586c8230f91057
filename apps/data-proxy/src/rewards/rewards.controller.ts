import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOrSessionKey, AppException, CallerKey, ErrorCode, requireJsonObject } from '@app/common';
import { SessionStore, type Session } from '../sessions/session-store.service.js';
import { RewardsService, type RewardsByInteraction } from './rewards.service.js';
import { SetRewardRequestDto, SetRewardResponseDto } from '@app/contracts';

/** `/rl/set_reward`: with a session key, or the admin key for the HITL session. */
@ApiTags('sessions')
@Controller()
export class RewardsController {
  constructor(
    private readonly sessions: SessionStore,
    private readonly rewards: RewardsService,
  ) {}

  @Post('rl/set_reward')
  @HttpCode(200)
  // The key first: an unknown key learns nothing about what a valid body looks like.
  @AdminOrSessionKey()
  @ApiOperation({
    summary:
      'Reward an interaction (default: the last one), or several with {"rewards": {id: r} | [r, ...]}; closes the trajectory (after the finish timeout, if set)',
  })
  @ApiOkResponse({ type: SetRewardResponseDto })
  @ApiBadRequestResponse({ description: 'No interactions in session / Interaction not found / bad body' })
  @ApiBody({ type: SetRewardRequestDto })
  setReward(@Body() body: unknown, @CallerKey() token: string): SetRewardResponseDto {
    // Never created here: a HITL session that does not exist yet has nothing to reward.
    const sessionOf = (): Session => {
      const session = this.sessions.peek(token);
      if (!session) throw new AppException(400, ErrorCode.BAD_REQUEST, 'No interactions in session');
      return session;
    };
    const { reward, rewards, interaction_id: interactionId } = requireJsonObject(body);
    if (rewards !== undefined && rewards !== null) {
      return this.rewards.setRewards(sessionOf(), parseRewards(rewards));
    }
    if (typeof reward !== 'number' || !Number.isFinite(reward))
      throw new AppException(422, ErrorCode.VALIDATION_FAILED, 'reward must be a finite number');
    if (
      interactionId !== undefined &&
      interactionId !== null &&
      (typeof interactionId !== 'string' || interactionId.length > 256)
    ) {
      throw new AppException(422, ErrorCode.VALIDATION_FAILED, 'interaction_id must be a string');
    }
    return this.rewards.setReward(
      sessionOf(),
      typeof interactionId === 'string' && interactionId.length > 0 ? interactionId : null,
      reward,
    );
  }
}

const MAX_REWARDS = 4096;

/** `rewards`: `{interaction_id: number}` or `[number, ...]`, every value finite. */
function parseRewards(value: unknown): RewardsByInteraction {
  const invalid = (message: string): AppException => new AppException(422, ErrorCode.VALIDATION_FAILED, message);
  const values = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null
      ? Object.values(value)
      : null;
  if (values === null) throw invalid('rewards must be a list of numbers or an object of interaction_id: number');
  if (values.length > MAX_REWARDS) throw invalid(`rewards may hold at most ${MAX_REWARDS} values`);
  if (values.some((r) => typeof r !== 'number' || !Number.isFinite(r)))
    throw invalid('every reward must be a finite number');
  return value as RewardsByInteraction;
}
