/**
 * AReaL's RPC value encoding (areal/infra/rpc/serialization.py), byte-compatible with its Python
 * deserialiser: tensors as `{"type": "tensor", "data": <base64 of raw little-endian C-order bytes
 * | null>, "shape", "dtype": "torch.<dtype>"}`, dataclasses as `{"type": "dataclass",
 * "class_path", "data"}`. Keys are written in the order pydantic's `model_dump` writes them.
 */

import type { RTensorReferenceDto, SerializedTensorDto } from '@app/contracts';

export type TorchDtype = 'torch.int64' | 'torch.float32' | 'torch.bool' | 'torch.int32';

/** A tensor held as raw little-endian bytes plus shape and dtype. */
export interface HostTensor {
  dtype: TorchDtype;
  shape: number[];
  bytes: Buffer;
}

export const RTENSOR_CLASS = 'areal.infra.rpc.rtensor.RTensor';
export const SHARD_INFO_CLASS = 'areal.infra.rpc.rtensor.TensorShardInfo';

const BYTES_PER_ELEMENT: Record<TorchDtype, number> = {
  'torch.int64': 8,
  'torch.float32': 4,
  'torch.bool': 1,
  'torch.int32': 4,
};

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** int64 tensor from JS integers (little-endian, as numpy writes it on every platform AReaL runs on). */
export function int64Tensor(values: ArrayLike<number>, shape: number[]): HostTensor {
  const bytes = Buffer.alloc(values.length * 8);
  for (let i = 0; i < values.length; i++) bytes.writeBigInt64LE(BigInt(values[i]), i * 8);
  return { dtype: 'torch.int64', shape, bytes };
}

export function int32Tensor(values: ArrayLike<number>, shape: number[]): HostTensor {
  const bytes = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeInt32LE(values[i], i * 4);
  return { dtype: 'torch.int32', shape, bytes };
}

export function float32Tensor(values: ArrayLike<number>, shape: number[]): HostTensor {
  const bytes = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i], i * 4);
  return { dtype: 'torch.float32', shape, bytes };
}

export function boolTensor(values: ArrayLike<boolean>, shape: number[]): HostTensor {
  const bytes = Buffer.alloc(values.length);
  for (let i = 0; i < values.length; i++) bytes[i] = values[i] ? 1 : 0;
  return { dtype: 'torch.bool', shape, bytes };
}

export function serializeTensor(tensor: HostTensor, meta = false): SerializedTensorDto {
  return {
    type: 'tensor',
    data: meta ? null : tensor.bytes.toString('base64'),
    shape: tensor.shape,
    dtype: tensor.dtype,
  };
}

/** Reads a serialised tensor back (for `PUT /data/{id}` and for tests). Throws on malformed input. */
export function deserializeTensor(value: unknown): HostTensor {
  if (typeof value !== 'object' || value === null) throw new Error('a serialized tensor must be an object');
  const t = value as Record<string, unknown>;
  if (t.type !== 'tensor') throw new Error('type must be "tensor"');
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || (d as number) < 0))
    throw new Error('shape must be a list of non-negative integers');
  const dtype = t.dtype as TorchDtype;
  if (!(dtype in BYTES_PER_ELEMENT)) throw new Error(`dtype ${String(t.dtype)} is not supported`);
  if (typeof t.data !== 'string') throw new Error('data must be a base64 string');
  const bytes = Buffer.from(t.data, 'base64');
  const shape = t.shape as number[];
  if (bytes.length !== elementCount(shape) * BYTES_PER_ELEMENT[dtype])
    throw new Error('data length does not match shape and dtype');
  return { dtype, shape, bytes };
}

/** An RTensor reference: the shard's id and holder, and a shape/dtype-only (meta) placeholder. */
export function rtensorReference(tensor: HostTensor, shardId: string, nodeAddr: string): RTensorReferenceDto {
  return {
    type: 'dataclass',
    class_path: RTENSOR_CLASS,
    data: {
      shard: { type: 'dataclass', class_path: SHARD_INFO_CLASS, data: { shard_id: shardId, node_addr: nodeAddr } },
      data: serializeTensor(tensor, true),
    },
  };
}

/** Decodes raw tensor bytes into numbers (tests and the JSON export). */
export function tensorValues(tensor: HostTensor): number[] {
  const n = elementCount(tensor.shape);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    if (tensor.dtype === 'torch.int64') out[i] = Number(tensor.bytes.readBigInt64LE(i * 8));
    else if (tensor.dtype === 'torch.int32') out[i] = tensor.bytes.readInt32LE(i * 4);
    else if (tensor.dtype === 'torch.float32') out[i] = tensor.bytes.readFloatLE(i * 4);
    else out[i] = tensor.bytes[i];
  }
  return out;
}
