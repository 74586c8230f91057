/** One interaction's training row in a `format: "json"` export (`/export_trajectories` → `interactions`). */
export interface ExportRow {
  interaction_id: string;
  parent_id: string | null;
  input_ids: number[];
  loss_mask: number[];
  logprobs: number[];
  versions: number[];
  reward: number;
}
