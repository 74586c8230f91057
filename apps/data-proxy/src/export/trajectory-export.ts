// One unit over 300 lines: how a recorded trajectory becomes the reference's training rows
// (individual or concat, reward discounting, the tensor and JSON encodings of a row): one layout,
// whose parts must agree token for token.
import type { ExportedJsonInteractionDto, ExportStyle, TrajJsonDto, TrajStringFormDto } from '@app/contracts';
import type { Interaction, InteractionCache } from '../sessions/interaction.js';
import { boolTensor, float32Tensor, int32Tensor, int64Tensor, tensorValues, type HostTensor } from './rpc-encoding.js';

/** The six tensors AReaL trains on for one interaction, as `[1, L]` rows. */
export interface TensorDict {
  input_ids: HostTensor;
  loss_mask: HostTensor;
  logprobs: HostTensor;
  versions: HostTensor;
  attention_mask: HostTensor;
  rewards: HostTensor;
}

export const TENSOR_KEYS = ['input_ids', 'loss_mask', 'logprobs', 'versions', 'attention_mask', 'rewards'] as const;

interface Row {
  inputIds: number[];
  lossMask: number[];
  logprobs: number[];
  versions: number[];
  /** AReaL 2.0's turn number of every token: -1 for prompt tokens, the turn (0, 1, …) for outputs. */
  turnIds: number[];
}

/**
 * Discounted rewards: walking the trajectory from its last interaction to its first,
 * G := G × discount + (reward or 0), and each interaction's reward becomes G. Returns the new
 * rewards by interaction id; the cache itself is not changed (an export that fails loses nothing).
 */
export function discountedRewards(
  cache: InteractionCache,
  discount: number,
  replaced?: ReadonlyMap<string, number>,
): Map<string, number> {
  const all = [...cache.values()];
  const out = new Map<string, number>();
  let g = 0;
  for (let i = all.length - 1; i >= 0; i--) {
    g = g * discount + (replaced?.get(all[i].id) ?? all[i].reward ?? 0);
    out.set(all[i].id, g);
  }
  return out;
}

function ownRow(interaction: Interaction): Row {
  const nIn = interaction.promptIds.length;
  const nOut = interaction.outputIds.length;
  return {
    inputIds: [...interaction.promptIds, ...interaction.outputIds],
    lossMask: [...new Array<number>(nIn).fill(0), ...new Array<number>(nOut).fill(1)],
    logprobs: [...new Array<number>(nIn).fill(0), ...interaction.outputLogprobs],
    versions: [...new Array<number>(nIn).fill(-1), ...interaction.outputVersions],
    turnIds: [...new Array<number>(nIn).fill(-1), ...new Array<number>(nOut).fill(0)],
  };
}

/**
 * A concat-mode row: the parent's row (recursively) with its outputs still trained, then this
 * turn's new prompt tokens (masked) and outputs. Used for `concat` export, where only leaves are
 * exported so each model token is trained exactly once.
 */
function conversationRow(interaction: Interaction, cache: InteractionCache, memo: Map<string, Row>): Row {
  const cached = memo.get(interaction.id);
  if (cached) return cached;
  const parent = interaction.parentId ? cache.get(interaction.parentId) : undefined;
  let row: Row;
  if (!parent || parent.chatTemplateType !== 'concat' || interaction.chatTemplateType !== 'concat') {
    row = ownRow(interaction);
  } else {
    const p = conversationRow(parent, cache, memo);
    const nIn = interaction.promptIds.length;
    if (nIn < p.inputIds.length) {
      row = ownRow(interaction);
    } else {
      const gap = nIn - p.inputIds.length;
      // This turn's number: one past the parent's highest (0 when the parent has none).
      const turn = p.turnIds.reduce((max, t) => Math.max(max, t), -1) + 1;
      row = {
        inputIds: [...interaction.promptIds, ...interaction.outputIds],
        lossMask: [
          ...p.lossMask,
          ...new Array<number>(gap).fill(0),
          ...new Array<number>(interaction.outputIds.length).fill(1),
        ],
        logprobs: [...p.logprobs, ...new Array<number>(gap).fill(0), ...interaction.outputLogprobs],
        versions: [...p.versions, ...new Array<number>(gap).fill(-1), ...interaction.outputVersions],
        turnIds: [
          ...p.turnIds,
          ...new Array<number>(gap).fill(-1),
          ...new Array<number>(interaction.outputIds.length).fill(turn),
        ],
      };
    }
  }
  memo.set(interaction.id, row);
  return row;
}

function toTensorDict(row: Row, reward: number): TensorDict {
  const shape = [1, row.inputIds.length];
  return {
    input_ids: int64Tensor(row.inputIds, shape),
    loss_mask: int64Tensor(row.lossMask, shape),
    logprobs: float32Tensor(row.logprobs, shape),
    versions: int64Tensor(row.versions, shape),
    attention_mask: boolTensor(new Array<boolean>(row.inputIds.length).fill(true), shape),
    rewards: float32Tensor([reward], [1]),
  };
}

export interface ExportedInteraction {
  interaction: Interaction;
  reward: number;
  /** The reward the interaction would have without group normalization (equal to `reward` when none ran). */
  originalReward: number;
  /** Absent for string interactions (external models), which export their messages only. */
  tensors: TensorDict | null;
  /** The token row behind `tensors` (null for string interactions): what the `traj` batch pads. */
  row: Row | null;
}

/**
 * Chooses what a trajectory exports and builds the tensors. Throws `ExportError`
 * for a request the trajectory cannot satisfy (concat style on non-concat data) before
 * anything is changed.
 */
export function exportTrajectory(
  cache: InteractionCache,
  style: ExportStyle,
  discount: number,
  normalized?: ReadonlyMap<string, number>,
): ExportedInteraction[] {
  const all = [...cache.values()];
  if (style === 'concat') {
    const notConcat = all.find((i) => i.chatTemplateType !== 'concat');
    if (notConcat) {
      throw new ExportError(
        `Cannot export interactions in 'concat' style: interaction ${notConcat.id} was generated with the '${notConcat.chatTemplateType}' chat template`,
      );
    }
  }
  const rewards = discountedRewards(cache, discount, normalized);
  const originals = normalized ? discountedRewards(cache, discount) : rewards;
  const memo = new Map<string, Row>();
  let chosen = all;
  if (style === 'concat') {
    const parents = new Set(all.map((i) => i.parentId).filter((id): id is string => id !== null));
    chosen = all.filter((i) => !parents.has(i.id));
  }
  return chosen.map((interaction) => {
    const reward = rewards.get(interaction.id) ?? 0;
    const originalReward = originals.get(interaction.id) ?? 0;
    if (interaction.kind === 'string') return { interaction, reward, originalReward, tensors: null, row: null };
    const row = style === 'concat' ? conversationRow(interaction, cache, memo) : ownRow(interaction);
    return { interaction, reward, originalReward, tensors: toTensorDict(row, reward), row };
  });
}

export class ExportError extends Error {}

/** The plain-JSON encoding: arrays a non-Python trainer can read directly. */
export function toJsonEntry(item: ExportedInteraction): ExportedJsonInteractionDto {
  const base: ExportedJsonInteractionDto = {
    interaction_id: item.interaction.id,
    parent_id: item.interaction.parentId,
    reward: item.reward,
    messages: item.interaction.messages,
    output_messages: item.interaction.outputMessages,
  };
  if (!item.tensors) return base;
  return {
    ...base,
    input_ids: tensorValues(item.tensors.input_ids),
    loss_mask: tensorValues(item.tensors.loss_mask),
    logprobs: tensorValues(item.tensors.logprobs),
    versions: tensorValues(item.tensors.versions),
  };
}

/** The keys of AReaL 2.0's `traj` batch, in the order its trainer reads them. */
export const TRAJ_KEYS = [
  'input_ids',
  'loss_mask',
  'logprobs',
  'versions',
  'turn_ids',
  'attention_mask',
  'rewards',
  'original_rewards',
] as const;

export type TrajKey = (typeof TRAJ_KEYS)[number];

/**
 * AReaL 2.0's `traj` (its `concat_padded_tensors` over every exported interaction, in order):
 * `[N, Lmax]` rows right-padded with 0 (`attention_mask` false marks padding; `versions` and
 * `turn_ids` pad with 0, not -1) and `[N]` rewards; a single interaction keeps its `[1, L]` shape.
 * `original_rewards` is the reward before group normalization (the reward itself when none ran).
 * Any interaction without tokens turns the whole export into the string form; none gives `{}`.
 */
export function buildTraj(
  items: readonly ExportedInteraction[],
): Record<TrajKey, HostTensor> | TrajStringFormDto | null {
  if (items.length === 0) return null;
  if (items.some((item) => item.row === null)) {
    return {
      interactions: items.map((item) => ({
        request: item.interaction.messages,
        response: responseText(item.interaction.outputMessages[0]),
        reward: item.reward,
      })),
    };
  }
  const rows = items.map((item) => item.row as Row);
  const n = rows.length;
  const width = Math.max(...rows.map((r) => r.inputIds.length));
  const pad = (pick: (row: Row) => readonly number[]): number[] => {
    const out = new Array<number>(n * width).fill(0);
    rows.forEach((row, i) => {
      const values = pick(row);
      for (let j = 0; j < values.length; j++) out[i * width + j] = values[j];
    });
    return out;
  };
  const mask = new Array<boolean>(n * width).fill(false);
  rows.forEach((row, i) => mask.fill(true, i * width, i * width + row.inputIds.length));
  const shape = [n, width];
  const rewards = items.map((item) => item.reward);
  return {
    input_ids: int64Tensor(
      pad((r) => r.inputIds),
      shape,
    ),
    loss_mask: int64Tensor(
      pad((r) => r.lossMask),
      shape,
    ),
    logprobs: float32Tensor(
      pad((r) => r.logprobs),
      shape,
    ),
    versions: int64Tensor(
      pad((r) => r.versions),
      shape,
    ),
    turn_ids: int32Tensor(
      pad((r) => r.turnIds),
      shape,
    ),
    attention_mask: boolTensor(mask, shape),
    rewards: float32Tensor(rewards, [n]),
    original_rewards: float32Tensor(
      items.map((item) => item.originalReward),
      [n],
    ),
  };
}

/** The string form's `response`: the stored answer's text (an external provider's raw body). */
function responseText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (typeof message === 'object' && message !== null) {
    const content = (message as Record<string, unknown>).content;
    if (typeof content === 'string') return content;
  }
  return '';
}

/** `traj` as plain JSON: the `[N, L]` tensors as lists of rows, the `[N]` rewards as lists. */
export function trajToJson(traj: Record<TrajKey, HostTensor>): TrajJsonDto {
  const rows = (key: TrajKey): number[][] => {
    const values = tensorValues(traj[key]);
    const [count, width] = traj[key].shape;
    return Array.from({ length: count }, (_, i) => values.slice(i * width, (i + 1) * width));
  };
  return {
    input_ids: rows('input_ids'),
    loss_mask: rows('loss_mask'),
    logprobs: rows('logprobs'),
    versions: rows('versions'),
    turn_ids: rows('turn_ids'),
    attention_mask: rows('attention_mask').map((row) => row.map((v) => v === 1)),
    rewards: tensorValues(traj.rewards),
    original_rewards: tensorValues(traj.original_rewards),
  };
}

/** An object with one value per key, in the keys' order (a tensor dict or a `traj` batch of references). */
export function byKey<K extends string, T>(keys: readonly K[], value: (key: K) => T): Record<K, T> {
  const out = {} as Record<K, T>;
  for (const key of keys) out[key] = value(key);
  return out;
}

/**
 * Group reward normalization (AReaL's `reward_normalization`): each member's reward is its last
 * interaction's; in float32, r̂ = (r − mean) / (population std + 1e-8), and every rewarded
 * interaction of member i gets r̂_i. Returns null when a member has no rewarded last interaction
 * (the group cannot be normalized). Keys of the result are interaction ids.
 */
export function normalizeGroupRewards(members: readonly InteractionCache[]): Map<string, number> | null {
  const last = members.map((cache) => cache.last()?.reward ?? null);
  if (last.some((r) => r === null)) return null;
  const f = Math.fround;
  const values = (last as number[]).map(f);
  const mean = f(values.reduce((a, b) => f(a + b), 0) / values.length);
  const std = f(Math.sqrt(f(values.reduce((a, r) => f(a + f((r - mean) ** 2)), 0) / values.length)));
  const out = new Map<string, number>();
  members.forEach((cache, i) => {
    const normalized = f(f(values[i] - mean) / f(std + 1e-8));
    for (const interaction of cache.values()) if (interaction.reward !== null) out.set(interaction.id, normalized);
  });
  return out;
}
