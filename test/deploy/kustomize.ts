import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
} & Record<string, unknown>;

/** The kustomization fields this renderer understands; any other is refused, never skipped. */
const KNOWN = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'patches', 'labels']);
const CLUSTER_SCOPED = new Set(['Namespace', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding']);

interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/**
 * Renders a kustomization the way `kubectl kustomize` does, for the subset our manifests use
 * (resources, namespace, images, labels, JSON 6902 patches with a kind/name target). There is no
 * kustomize binary on CI machines; the subset is small and every field outside it is an error.
 */
export function kustomize(dir: string): Manifest[] {
  const k = parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Record<string, unknown>;
  for (const key of Object.keys(k)) if (!KNOWN.has(key)) throw new Error(`${dir}: unsupported field ${key}`);
  let out: Manifest[] = [];
  for (const resource of (k.resources as string[]) ?? []) {
    const path = join(dir, resource);
    if (statSync(path).isDirectory()) out.push(...kustomize(path));
    else
      for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
        if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0].message}`);
        const value = doc.toJS() as Manifest | null;
        if (value) out.push(value);
      }
  }
  for (const { pairs } of (k.labels as { pairs: Record<string, string> }[]) ?? [])
    for (const m of out) m.metadata.labels = { ...m.metadata.labels, ...pairs };
  if (typeof k.namespace === 'string')
    for (const m of out) if (!CLUSTER_SCOPED.has(m.kind)) m.metadata.namespace = k.namespace;
  for (const image of (k.images as { name: string; newName?: string; newTag?: string }[]) ?? [])
    out = out.map((m) => retag(m, image));
  for (const patch of (k.patches as { target: { kind: string; name: string }; patch: string }[]) ?? []) {
    const targets = out.filter((m) => m.kind === patch.target.kind && m.metadata.name === patch.target.name);
    if (targets.length !== 1)
      throw new Error(`${dir}: patch target ${patch.target.kind}/${patch.target.name} not found`);
    for (const op of parseYaml(patch.patch) as JsonPatchOp[]) applyOp(targets[0], op);
  }
  return out;
}

function retag(m: Manifest, image: { name: string; newName?: string; newTag?: string }): Manifest {
  const text = JSON.stringify(m).replace(/"image":"([^"]+)"/g, (whole, ref: string) => {
    const [name, tag] = ref.split(':');
    if (name !== image.name) return whole;
    return `"image":"${image.newName ?? name}:${image.newTag ?? tag}"`;
  });
  return JSON.parse(text) as Manifest;
}

function applyOp(doc: unknown, op: JsonPatchOp): void {
  const parts = op.path
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = parts.pop()!;
  let parent = doc as Record<string, unknown>;
  for (const part of parts) {
    parent = parent[part] as Record<string, unknown>;
    if (parent === undefined) throw new Error(`patch path ${op.path} does not exist`);
  }
  if (op.op !== 'add' && !(last in parent)) throw new Error(`patch path ${op.path} does not exist`);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (op.op === 'remove') parent.splice(index, 1);
    else if (op.op === 'add') parent.splice(index, 0, op.value);
    else parent[index] = op.value;
  } else if (op.op === 'remove') delete parent[last];
  else parent[last] = op.value;
}
