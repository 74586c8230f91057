import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** What every episode request may carry (anything else is refused, never ignored). */
export class EpisodeRequestDto {
  @ApiPropertyOptional({ description: 'Agent module path (default: --agent); absent in online mode' }) agent?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) agent_kwargs?: Record<string, unknown>;
  @ApiPropertyOptional({ minimum: 1, default: 1 }) group_size?: number;
  @ApiPropertyOptional({ description: 'Accept predicate: a module path or a built-in rule' }) accept?: unknown;
  @ApiPropertyOptional() discount?: number;
  @ApiPropertyOptional({ enum: ['individual', 'concat'] }) style?: string;
  @ApiPropertyOptional({ enum: ['json', 'rpc'], default: 'json' }) format?: string;
  @ApiPropertyOptional({ enum: ['interactions', 'traj'] }) schema?: string;
  @ApiPropertyOptional() episode_timeout_s?: number;
  @ApiPropertyOptional() deterministic_sampling?: boolean;
  @ApiPropertyOptional() serialize_group_samples?: boolean;
  @ApiPropertyOptional() reward_normalization?: unknown;
  @ApiPropertyOptional() drop_incomplete_group?: boolean;
}

export class SubmitRolloutRequestDto extends EpisodeRequestDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The dataset item the agent gets' })
  data?: Record<string, unknown>;
  @ApiPropertyOptional({ minimum: 0, description: 'Choose the task id (409 if taken)' }) task_id?: number;
}

export class SubmitRolloutResponseDto {
  @ApiProperty() task_id!: number;
}

export class WaitRolloutRequestDto {
  @ApiProperty({ minimum: 1 }) count!: number;
  @ApiPropertyOptional({ default: 3600 }) timeout_s?: number;
}

export class WaitForTaskRequestDto {
  @ApiProperty({ minimum: 0 }) task_id!: number;
  @ApiPropertyOptional({ default: 3600 }) timeout_s?: number;
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
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) traj?: Record<string, unknown>;
  @ApiPropertyOptional({ type: [Number] }) dropped_members?: number[];
  @ApiProperty() started_at!: string;
  @ApiProperty() finished_at!: string;
}

export class WaitRolloutResponseDto {
  @ApiProperty({ type: [EpisodeOutcomeDto] }) results!: EpisodeOutcomeDto[];
  @ApiProperty() timed_out!: boolean;
}

export class WaitForTaskResponseDto {
  @ApiProperty({ type: EpisodeOutcomeDto, nullable: true }) result!: EpisodeOutcomeDto | null;
  @ApiProperty() timed_out!: boolean;
}

export class BatchRolloutRequestDto extends EpisodeRequestDto {
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'Dataset items, one episode each',
  })
  items?: Record<string, unknown>[];
  @ApiPropertyOptional({ description: 'Without items: this many episodes of `{}`' }) batch_size?: number;
  @ApiPropertyOptional({ default: 3600 }) timeout_s?: number;
}

export class RejectionDto {
  @ApiProperty() task_id!: number;
  @ApiProperty() reason!: string;
}

export class BatchRolloutResponseDto {
  @ApiProperty({ type: [EpisodeOutcomeDto] }) trajectories!: EpisodeOutcomeDto[];
  @ApiProperty() accepted!: number;
  @ApiProperty() rejected!: number;
  @ApiProperty({ type: [RejectionDto] }) rejections!: RejectionDto[];
  @ApiProperty() timed_out!: boolean;
  @ApiProperty({ type: [Number], description: 'Still running at the timeout: their outcomes go to /rollout/wait' })
  unfinished_task_ids!: number[];
}

export class PrepareBatchRequestDto extends EpisodeRequestDto {
  @ApiPropertyOptional({ description: 'JSONL dataset path (absent: every item is {})' }) dataset?: string;
  @ApiProperty({ minimum: 1 }) batch_size!: number;
  @ApiPropertyOptional({ description: 'Count rejected episodes towards the batch' }) dynamic_bs?: boolean;
  @ApiPropertyOptional({ description: 'Start the stream over from the first item' }) reset?: boolean;
  @ApiPropertyOptional({ default: 3600 }) timeout_s?: number;
}

export class DatasetCursorDto {
  @ApiProperty() position!: number;
  @ApiProperty() epoch!: number;
  @ApiProperty() size!: number;
}

export class PrepareBatchResponseDto {
  @ApiProperty({ type: [EpisodeOutcomeDto] }) trajectories!: EpisodeOutcomeDto[];
  @ApiProperty() accepted!: number;
  @ApiProperty() rejected!: number;
  @ApiProperty() timed_out!: boolean;
  @ApiProperty({ type: DatasetCursorDto, nullable: true }) cursor!: DatasetCursorDto | null;
}

export class ResetRolloutRequestDto {
  @ApiPropertyOptional({ description: 'Only the streams over this dataset' }) dataset?: string;
}

export class ResetRolloutResponseDto {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() streams_reset!: number;
}

/** The staleness budget's terms (AReaL's StalenessManager). */
export class CapacityTermsDto {
  @ApiProperty({ description: 'Episodes that may start now' }) capacity!: number;
  @ApiProperty() version!: number;
  @ApiProperty() concurrency_room!: number;
  @ApiProperty() staleness_room!: number;
  @ApiProperty() max_concurrent_rollouts!: number;
  @ApiProperty() consumer_batch_size!: number;
  @ApiProperty() max_head_offpolicyness!: number;
  @ApiProperty() enqueued!: number;
  @ApiProperty() running!: number;
  @ApiProperty() accepted!: number;
  @ApiProperty() rejected!: number;
}

export class ControllerCapacityResponseDto extends CapacityTermsDto {
  @ApiProperty({ nullable: true, type: Number, description: "The router's session permits" })
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
  @ApiProperty() paused!: boolean;
  @ApiProperty() queued!: number;
  @ApiProperty() finished!: number;
  @ApiProperty({ description: 'Finished /rollout/submit episodes not yet collected' }) pooled!: number;
  @ApiProperty({ type: CapacityTermsDto }) capacity!: CapacityTermsDto;
  @ApiProperty({ type: [DatasetStreamStatusDto] }) streams!: DatasetStreamStatusDto[];
}
