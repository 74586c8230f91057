import type { Interaction, InteractionCache } from '../sessions/interaction.js';
import { boolTensor, float32Tensor, int64Tensor, tensorValues, type HostTensor } from './rpc-encoding.js';

export type ExportStyle = 'individual' | 'concat';
export const EXPORT_STYLES: readonly ExportStyle[] = ['individual', 'concat'];

/** The six tensors AReaL trains on for one interaction (spec §6.4), as `[1, L]` rows. */
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
}

/**
 * Discounted rewards (spec §6.2): walking the trajectory from its last interaction to its first,
 * G := G × discount + (reward or 0), and each interaction's reward becomes G. Returns the new
 * rewards by interaction id; the cache itself is not changed (an export that fails loses nothing).
 */
export function discountedRewards(cache: InteractionCache, discount: number): Map<string, number> {
  const all = [...cache.values()];
  const out = new Map<string, number>();
  let g = 0;
  for (let i = all.length - 1; i >= 0; i--) {
    g = g * discount + (all[i].reward ?? 0);
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
      row = {
        inputIds: [...interaction.promptIds, ...interaction.outputIds],
        lossMask: [
          ...p.lossMask,
          ...new Array<number>(gap).fill(0),
          ...new Array<number>(interaction.outputIds.length).fill(1),
        ],
        logprobs: [...p.logprobs, ...new Array<number>(gap).fill(0), ...interaction.outputLogprobs],
        versions: [...p.versions, ...new Array<number>(gap).fill(-1), ...interaction.outputVersions],
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
  /** Absent for string interactions (external models), which export their messages only. */
  tensors: TensorDict | null;
}

/**
 * Chooses what a trajectory exports (spec §6.3) and builds the tensors. Throws `ExportError`
 * for a request the trajectory cannot satisfy (concat style on non-concat data) before
 * anything is changed.
 */
export function exportTrajectory(cache: InteractionCache, style: ExportStyle, discount: number): ExportedInteraction[] {
  const all = [...cache.values()];
  if (style === 'concat') {
    const notConcat = all.find((i) => i.chatTemplateType !== 'concat');
    if (notConcat) {
      throw new ExportError(
        `Cannot export interactions in 'concat' style: interaction ${notConcat.id} was generated with the '${notConcat.chatTemplateType}' chat template`,
      );
    }
  }
  const rewards = discountedRewards(cache, discount);
  const memo = new Map<string, Row>();
  let chosen = all;
  if (style === 'concat') {
    const parents = new Set(all.map((i) => i.parentId).filter((id): id is string => id !== null));
    chosen = all.filter((i) => !parents.has(i.id));
  }
  return chosen.map((interaction) => {
    const reward = rewards.get(interaction.id) ?? 0;
    if (interaction.kind === 'string') return { interaction, reward, tensors: null };
    const row = style === 'concat' ? conversationRow(interaction, cache, memo) : ownRow(interaction);
    return { interaction, reward, tensors: toTensorDict(row, reward) };
  });
}

export class ExportError extends Error {}

/** The plain-JSON encoding: arrays a non-Python trainer can read directly. */
export function toJsonEntry(item: ExportedInteraction): Record<string, unknown> {
  const base: Record<string, unknown> = {
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
