import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  MinLength,
} from 'class-validator';
import { OptionalBoolean, OptionalDiscount, OptionalOneOf, OptionalString } from '../common/field-validators.js';
import { BodyRules } from '../common/body-rules.js';

/** How a multi-turn trajectory is exported: one row per turn, or turns joined into one sequence. */
export const EXPORT_STYLES = ['individual', 'concat'] as const;
export type ExportStyle = (typeof EXPORT_STYLES)[number];
/** `interactions` (ours: rows by interaction id) or `traj` (AReaL 2.0's padded batch). */
export const EXPORT_SCHEMAS = ['interactions', 'traj'] as const;
export type ExportSchema = (typeof EXPORT_SCHEMAS)[number];
/** `rpc`: the reference's tensor references fetched from `/data`; `json`: plain arrays. */
export const EXPORT_FORMATS = ['rpc', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The options of a trajectory export, by field name, with their values. */
const EXPORT_OPTIONS = { style: EXPORT_STYLES, format: EXPORT_FORMATS, schema: EXPORT_SCHEMAS } as const;
type ExportOptionName = keyof typeof EXPORT_OPTIONS;

/**
 * A field of a request that exports trajectories (the data proxy's export, the controller's
 * requests that return exported episodes) naming an export option: `style`, `format` or `schema`,
 * the property's own name. It takes one of that option's values (absent: the endpoint's default),
 * documented with `doc` and refused as `refusal` words it.
 */
export function ExportOption(doc: Omit<ApiPropertyOptions, 'enum'> = {}, refusal?: string) {
  return (target: object, property: ExportOptionName): void =>
    OptionalOneOf(EXPORT_OPTIONS[property], doc, refusal)(target, property);
}

/** `POST /rl/start_session` (gateway and data proxy). */
export class StartSessionRequestDto {
  @ApiProperty({ description: 'The episode this session belongs to', maxLength: 256, example: 'episode-17' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  task_id!: string;

  @ApiPropertyOptional({
    description: 'Reuse this key (refresh): allowed once the session it names has a rewarded trajectory',
    nullable: true,
    type: String,
  })
  @OptionalString(1024)
  api_key?: string | null;

  @ApiPropertyOptional({
    description: 'Start a group of sessions (the later upstream group form); below 1 counts as 1',
    maximum: 1024,
    nullable: true,
    type: 'integer',
    example: 4,
  })
  @IsOptional()
  @IsInt()
  @Max(1024)
  group_size?: number | null;

  @ApiPropertyOptional({ description: "AReaL 2.0's derived sampling seeds for this session", nullable: true })
  @OptionalBoolean()
  deterministic_sampling?: boolean | null;
}

export class GroupMemberDto {
  @ApiProperty({ example: 'episode-17-0' }) session_id!: string;
  @ApiProperty({ description: "The member's session key" }) session_api_key!: string;
}

/** `{"session_id", "api_key"}`, or with `group_size` the group form `{"group_id", "sessions"}`. */
export class StartSessionResponseDto {
  @ApiPropertyOptional({ example: 'episode-17-0' }) session_id?: string;
  @ApiPropertyOptional({ description: 'The session key agents send as `Authorization: Bearer`' }) api_key?: string;
  @ApiPropertyOptional({ example: 'grp-6f1c…' }) group_id?: string;
  @ApiPropertyOptional({ type: [GroupMemberDto] }) sessions?: GroupMemberDto[];
}

/** One of the two is required (`session_ids` wins). */
export class RemoveSessionsRequestDto {
  @ApiPropertyOptional({ example: 'episode-17-0' })
  @OptionalString(512)
  session_id?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(4096)
  @IsString({ each: true })
  @MaxLength(512, { each: true })
  session_ids?: string[];
}

export class RemoveSessionsResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ type: [String], description: 'The ids that existed and are gone' }) removed!: string[];
}

export class ReadyTrajectorySummaryDto {
  @ApiProperty({ example: 0 }) trajectory_id!: number;
  @ApiProperty({ example: 3 }) interaction_count!: number;
  @ApiProperty({ description: 'The online callback reached the controller' }) callback_delivered!: boolean;
}

export class RecordedInteractionDto {
  @ApiProperty() interaction_id!: string;
  @ApiProperty({ enum: ['chat', 'external'] }) kind!: string;
  @ApiProperty({ nullable: true, type: String }) parent_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) chat_template_type!: string | null;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) messages!: unknown[];
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) output_messages!: unknown[];
  @ApiProperty({ type: [Number] }) prompt_ids!: number[];
  @ApiProperty({ type: [Number] }) output_ids!: number[];
  @ApiProperty({ type: [Number] }) output_logprobs!: number[];
  @ApiProperty({ type: [Number], description: 'The weight version of each output token' }) output_versions!: number[];
  @ApiProperty({ nullable: true, type: String }) stop_reason!: string | null;
  @ApiProperty({ nullable: true, type: Number }) reward!: number | null;
}

/** `GET /rl/sessions/{session_id}`. */
export class SessionInspectionDto {
  @ApiProperty({ example: 'episode-17-0' }) session_id!: string;
  @ApiProperty({ description: 'Unix seconds' }) last_access!: number;
  @ApiProperty({ example: false }) pending_reward!: boolean;
  @ApiProperty({ type: [ReadyTrajectorySummaryDto] }) ready_trajectories!: ReadyTrajectorySummaryDto[];
  @ApiProperty({ type: [RecordedInteractionDto], description: "The active trajectory's interactions" })
  interactions!: RecordedInteractionDto[];
}

/** `POST /rl/set_reward` (gateway and data proxy). */
export class SetRewardRequestDto {
  @ApiPropertyOptional({ description: 'The reward (required unless `rewards` is given)', example: 1 })
  reward?: number;
  @ApiPropertyOptional({ description: 'Which interaction (default: the last one)', nullable: true, type: String })
  interaction_id?: string | null;
  @ApiPropertyOptional({
    description: 'Several at once: `{interaction_id: reward}` or a list in interaction order',
    oneOf: [
      { type: 'object', additionalProperties: { type: 'number' } },
      { type: 'array', items: { type: 'number' } },
    ],
  })
  rewards?: Record<string, number> | number[];
}

export class SetRewardResponseDto {
  @ApiProperty({ example: 'success' }) message!: 'success';
  @ApiProperty() interaction_count!: number;
  @ApiProperty() session_id!: string;
  @ApiProperty({ nullable: true, type: Number }) trajectory_id!: number | null;
  @ApiProperty() trajectory_ready!: boolean;
  @ApiProperty({ description: 'This call made the trajectory ready' }) ready_transition!: boolean;
}

/**
 * `POST /export_trajectories` (gateway and data proxy): `session_id` (the reference form) or
 * `session_ids` (a group; later upstream form). A bad field is a 400 naming it, as the reference's
 * hand checks answer.
 */
@BodyRules({ invalidFieldStatus: 400 })
export class ExportTrajectoriesRequestDto {
  @ApiPropertyOptional({ description: 'The session (the reference form)', example: 'episode-17-0' })
  @OptionalString(512)
  session_id?: string;

  @ApiPropertyOptional({ type: [String], description: 'Several sessions (a group; later upstream form)' })
  @IsOptional()
  @IsArray({ message: 'session_ids must be a non-empty list' })
  @ArrayMinSize(1, { message: 'session_ids must be a non-empty list' })
  @ArrayMaxSize(4096)
  @IsString({ each: true, message: 'session_ids must be a non-empty list' })
  session_ids?: string[];

  @ApiPropertyOptional({ description: 'Gateway only: a model name used as the session id (reference behaviour)' })
  @IsOptional()
  @IsString()
  model?: string;

  @ApiPropertyOptional({ nullable: true, type: 'integer', description: 'Default: the oldest ready trajectory' })
  @IsOptional()
  @IsInt({ message: 'trajectory_id must be an integer' })
  trajectory_id?: number | null;

  @ApiPropertyOptional({ default: 1, minimum: 0, description: 'Turn discount for reward propagation' })
  @OptionalDiscount()
  discount?: number;

  @ExportOption({ default: 'individual' }, 'Invalid export interactions style')
  style?: ExportStyle;

  @ApiPropertyOptional({ description: 'Default false with session_id, true with session_ids' })
  @OptionalBoolean()
  remove_session?: boolean;

  @ExportOption(
    { default: 'rpc', description: 'rpc: the reference tensor encoding' },
    'format must be "rpc" (the reference encoding) or "json"',
  )
  format?: ExportFormat;

  @ExportOption(
    { nullable: true, description: 'traj: AReaL 2.0 batches' },
    'schema must be "interactions" or "traj" (AReaL 2.0)',
  )
  schema?: ExportSchema | null;

  @ApiPropertyOptional({ default: false, description: 'Group reward normalization across the listed sessions' })
  @OptionalBoolean()
  normalize_rewards?: boolean;
}
