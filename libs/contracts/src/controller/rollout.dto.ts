// One unit over 300 lines: every wire shape of the controller's rollout API (requests with their
// validation rules, episode outcomes, capacity and status), which share the episode fields.
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ExportedTrajDto } from '../data-proxy/export.dto.js';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';
import { OptionalBoolean, OptionalDiscount } from '../common/field-validators.js';
import { BodyRules } from '../common/body-rules.js';
import { ExportOption, type ExportFormat, type ExportSchema, type ExportStyle } from '../data-proxy/sessions.dto.js';

/** The most episodes one batch, wait or prepare_batch call may name. */
export const MAX_BATCH_ITEMS = 4096;
export const MAX_GROUP_SIZE = 64;
/** Every timeout of the rollout API: from 0 to a week, in seconds. */
export const MAX_ROLLOUT_TIMEOUT_S = 7 * 24 * 3600;

const TIMEOUT_RULES = [
  IsOptional(),
  IsNumber({ allowNaN: false, allowInfinity: false }),
  Min(0),
  Max(MAX_ROLLOUT_TIMEOUT_S),
] as const;
/** Seconds, from 0 to a week (absent: the endpoint's default). */
function TimeoutSeconds(): PropertyDecorator {
  return applyDecorators(...TIMEOUT_RULES);
}

function TaskId(): PropertyDecorator {
  return applyDecorators(IsInt(), Min(0), Max(Number.MAX_SAFE_INTEGER));
}

/**
 * What every episode request may carry. Anything else is refused with a 400 naming it, never
 * ignored: a misspelt option (`reward_normalisation`) would otherwise silently change training.
 */
@BodyRules({ invalidFieldStatus: 400, unknownFields: 'reject' })
export class EpisodeRequestDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Agent module path (default: --agent); null: online mode (agents call the gateway themselves)',
    example: 'examples/agents/math-agent.mjs',
  })
  @IsOptional()
  @IsString({ message: 'agent must be a module path (or null for online mode)' })
  @Matches(/\S/, { message: 'agent must be a module path (or null for online mode)' })
  agent?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Passed to the agent as is' })
  @IsOptional()
  @IsObject({ message: 'agent_kwargs must be an object' })
  agent_kwargs?: Record<string, unknown>;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_GROUP_SIZE, default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_GROUP_SIZE)
  group_size?: number;

  @ApiPropertyOptional({
    description:
      'Accept predicate: a module path, or filters {min_reward?, max_reward?, rewards_differ?, min_interactions?}',
    oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }],
    example: { min_reward: 0.5 },
  })
  @Allow()
  accept?: unknown;

  @ApiPropertyOptional({ minimum: 0, description: "Reward discount along a trajectory (default: the data proxy's)" })
  @OptionalDiscount()
  discount?: number;

  @ExportOption({}, 'style must be "individual" or "concat"')
  style?: ExportStyle;

  @ExportOption({ default: 'json' }, 'format must be "json" or "rpc"')
  format?: ExportFormat;

  @ExportOption({ default: 'interactions' }, 'schema must be "interactions" or "traj" (AReaL 2.0)')
  schema?: ExportSchema;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_ROLLOUT_TIMEOUT_S, description: 'Per episode; 0: none' })
  @TimeoutSeconds()
  episode_timeout_s?: number;

  @ApiPropertyOptional({ default: false, description: "AReaL 2.0's derived per-session seeds" })
  @OptionalBoolean()
  deterministic_sampling?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Run group members one after another' })
  @OptionalBoolean()
  serialize_group_samples?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Normalize rewards within each group (agent episodes only)' })
  @OptionalBoolean()
  reward_normalization?: boolean;

  @ApiPropertyOptional({ default: true, description: 'Reject a group whole when a member failed' })
  @OptionalBoolean()
  drop_incomplete_group?: boolean;
}

export class SubmitRolloutRequestDto extends EpisodeRequestDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'The dataset item the agent gets',
    example: { question: '2+2?', answer: '4' },
  })
  @Allow()
  data?: unknown;

  @ApiPropertyOptional({ minimum: 0, description: 'Choose the task id (409 if taken)' })
  @IsOptional()
  @TaskId()
  task_id?: number;
}

export class SubmitRolloutResponseDto {
  @ApiProperty({ example: 0 }) task_id!: number;
}

@BodyRules({ invalidFieldStatus: 400 })
export class WaitRolloutRequestDto {
  @ApiProperty({ minimum: 1, maximum: MAX_BATCH_ITEMS, example: 8 })
  @IsInt()
  @Min(1)
  @Max(MAX_BATCH_ITEMS)
  count!: number;

  @ApiPropertyOptional({ default: 3600 }) @TimeoutSeconds() timeout_s?: number;
}

@BodyRules({ invalidFieldStatus: 400 })
export class WaitForTaskRequestDto {
  @ApiProperty({ minimum: 0, example: 0 }) @TaskId() task_id!: number;
  @ApiPropertyOptional({ default: 3600 }) @TimeoutSeconds() timeout_s?: number;
}

/** One finished episode (accepted or not) with its exported training data. */
export class EpisodeOutcomeDto {
  @ApiProperty() task_id!: number;
  @ApiProperty() accepted!: boolean;
  @ApiPropertyOptional({ description: 'Why it was rejected' }) reason?: string;
  @ApiPropertyOptional({
    enum: ['agent', 'predicate', 'timeout', 'service', 'empty'],
    description: 'agent: a bug in the agent; predicate: the accept rule; timeout; service: ours; empty: no turns',
  })
  rejected_by?: 'agent' | 'predicate' | 'timeout' | 'service' | 'empty';
  @ApiProperty({ type: [Number] }) rewards!: number[];
  @ApiProperty({ type: [String] }) session_ids!: string[];
  @ApiPropertyOptional() group_id?: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'object', additionalProperties: true } })
  interactions!: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: "The data proxy's `traj` export" })
  traj?: ExportedTrajDto;
  @ApiPropertyOptional({ type: [Number] }) dropped_members?: number[];
  @ApiProperty() started_at!: string;
  @ApiProperty() finished_at!: string;
}

export class WaitRolloutResponseDto {
  @ApiProperty({ type: [EpisodeOutcomeDto] }) results!: EpisodeOutcomeDto[];
  @ApiProperty({ example: false }) timed_out!: boolean;
}

export class WaitForTaskResponseDto {
  @ApiProperty({ type: EpisodeOutcomeDto, nullable: true }) result!: EpisodeOutcomeDto | null;
  @ApiProperty({ example: false }) timed_out!: boolean;
}

export class BatchRolloutRequestDto extends EpisodeRequestDto {
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'Dataset items, one episode each',
    example: [{ question: '2+2?', answer: '4' }],
  })
  @IsOptional()
  @IsArray({ message: `items must be a list of 1 to ${MAX_BATCH_ITEMS} entries` })
  @ArrayMinSize(1, { message: `items must be a list of 1 to ${MAX_BATCH_ITEMS} entries` })
  @ArrayMaxSize(MAX_BATCH_ITEMS, { message: `items must be a list of 1 to ${MAX_BATCH_ITEMS} entries` })
  items?: unknown[];

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_BATCH_ITEMS,
    description: 'Without items: this many episodes of `{}`',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_BATCH_ITEMS)
  batch_size?: number;

  @ApiPropertyOptional({ default: 3600 }) @TimeoutSeconds() timeout_s?: number;
}

export class RejectionDto {
  @ApiProperty({ example: 3 }) task_id!: number;
  @ApiProperty({ example: 'accept: min_reward 0.5 > 0' }) reason!: string;
}

export class BatchRolloutResponseDto {
  @ApiProperty({ type: [EpisodeOutcomeDto] }) trajectories!: EpisodeOutcomeDto[];
  @ApiProperty({ example: 7 }) accepted!: number;
  @ApiProperty({ example: 1 }) rejected!: number;
  @ApiProperty({ type: [RejectionDto] }) rejections!: RejectionDto[];
  @ApiProperty({ example: false }) timed_out!: boolean;
  @ApiProperty({ type: [Number], description: 'Still running at the timeout: their outcomes go to /rollout/wait' })
  unfinished_task_ids!: number[];
}

export class PrepareBatchRequestDto extends EpisodeRequestDto {
  @ApiPropertyOptional({ description: 'JSONL dataset path (absent: every item is {})', example: 'data/gsm8k.jsonl' })
  @IsOptional()
  @IsString({ message: 'dataset must be a JSONL file path' })
  @MinLength(1, { message: 'dataset must be a JSONL file path' })
  dataset?: string;

  @ApiProperty({ minimum: 1, maximum: MAX_BATCH_ITEMS, example: 8 })
  @IsInt()
  @Min(1)
  @Max(MAX_BATCH_ITEMS)
  batch_size!: number;

  @ApiPropertyOptional({ default: false, description: 'Count rejected episodes towards the batch' })
  @OptionalBoolean()
  dynamic_bs?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Start the stream over from the first item' })
  @OptionalBoolean()
  reset?: boolean;

  @ApiPropertyOptional({ default: 3600 }) @TimeoutSeconds() timeout_s?: number;
}

export class DatasetCursorDto {
  @ApiProperty({ example: 16 }) position!: number;
  @ApiProperty({ example: 0 }) epoch!: number;
  @ApiProperty({ example: 7473 }) size!: number;
}

export class PrepareBatchResponseDto {
  @ApiProperty({ type: [EpisodeOutcomeDto] }) trajectories!: EpisodeOutcomeDto[];
  @ApiProperty({ example: 8 }) accepted!: number;
  @ApiProperty() rejected!: number;
  @ApiProperty({ example: false }) timed_out!: boolean;
  @ApiProperty({ type: DatasetCursorDto, nullable: true }) cursor!: DatasetCursorDto | null;
}

@BodyRules({ optional: true, invalidFieldStatus: 400 })
export class ResetRolloutRequestDto {
  @ApiPropertyOptional({ description: 'Only the streams over this dataset' })
  @IsOptional()
  @IsString({ message: 'dataset must be a file path' })
  dataset?: string;
}

export class ResetRolloutResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() streams_reset!: number;
}

/** The staleness budget's terms (AReaL's StalenessManager). */
export class CapacityTermsDto {
  @ApiProperty({ example: 12, description: 'Episodes that may start now' }) capacity!: number;
  @ApiProperty({ example: 4 }) version!: number;
  @ApiProperty() concurrency_room!: number;
  @ApiProperty() staleness_room!: number;
  @ApiProperty({ example: 64 }) max_concurrent_rollouts!: number;
  @ApiProperty() consumer_batch_size!: number;
  @ApiProperty() max_head_offpolicyness!: number;
  @ApiProperty() enqueued!: number;
  @ApiProperty() running!: number;
  @ApiProperty() accepted!: number;
  @ApiProperty() rejected!: number;
}

export class ControllerCapacityResponseDto extends CapacityTermsDto {
  @ApiProperty({
    nullable: true,
    type: Number,
    description: "The router's session permits; null when it takes none (--capacity-permits off) or does not answer",
  })
  router_permits!: number | null;
}

export class DatasetStreamStatusDto {
  @ApiProperty({ nullable: true, type: String }) dataset!: string | null;
  @ApiProperty({ enum: ['agent', 'online'] }) agent!: string;
  @ApiProperty() group_size!: number;
  @ApiProperty({ nullable: true, type: Number }) position!: number | null;
  @ApiProperty({ nullable: true, type: Number }) epoch!: number | null;
  @ApiProperty({ nullable: true, type: Number }) size!: number | null;
  @ApiProperty() inflight!: number;
  @ApiProperty() buffered!: number;
}

export class RolloutStatusResponseDto {
  @ApiProperty({ example: false }) paused!: boolean;
  @ApiProperty({ example: 0 }) queued!: number;
  @ApiProperty() finished!: number;
  @ApiProperty({ description: 'Finished /rollout/submit episodes not yet collected' }) pooled!: number;
  @ApiProperty({ type: CapacityTermsDto }) capacity!: CapacityTermsDto;
  @ApiProperty({ type: [DatasetStreamStatusDto] }) streams!: DatasetStreamStatusDto[];
}
