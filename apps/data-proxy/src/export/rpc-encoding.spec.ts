import { describe, expect, it } from '@jest/globals';
import {
  boolTensor,
  deserializeTensor,
  float32Tensor,
  int64Tensor,
  rtensorReference,
  serializeTensor,
  tensorValues,
} from './rpc-encoding.js';

describe('AReaL RPC tensor encoding', () => {
  it('writes int64 as little-endian 8-byte values (numpy tobytes)', () => {
    // 1, 2, -1 → 01 00.. | 02 00.. | ff ff..
    expect(serializeTensor(int64Tensor([1, 2, -1], [1, 3]))).toEqual({
      type: 'tensor',
      data: 'AQAAAAAAAAACAAAAAAAAAP//////////',
      shape: [1, 3],
      dtype: 'torch.int64',
    });
  });

  it('writes float32 and bool as numpy does', () => {
    // 0.5 = 0x3f000000, -1 = 0xbf800000 (little-endian bytes)
    expect(serializeTensor(float32Tensor([0.5, -1], [2])).data).toBe(
      Buffer.from([0, 0, 0, 0x3f, 0, 0, 0x80, 0xbf]).toString('base64'),
    );
    expect(serializeTensor(boolTensor([true, false, true], [1, 3]))).toEqual({
      type: 'tensor',
      data: 'AQAB',
      shape: [1, 3],
      dtype: 'torch.bool',
    });
  });

  it('keeps the key order of pydantic model_dump (type, data, shape, dtype)', () => {
    expect(Object.keys(serializeTensor(int64Tensor([1], [1])))).toEqual(['type', 'data', 'shape', 'dtype']);
  });

  it('references a shard as an RTensor dataclass with a meta (data: null) placeholder', () => {
    expect(rtensorReference(int64Tensor([1, 2], [1, 2]), 'shard-1', '10.0.0.5:8082')).toEqual({
      type: 'dataclass',
      class_path: 'areal.infra.rpc.rtensor.RTensor',
      data: {
        shard: {
          type: 'dataclass',
          class_path: 'areal.infra.rpc.rtensor.TensorShardInfo',
          data: { shard_id: 'shard-1', node_addr: '10.0.0.5:8082' },
        },
        data: { type: 'tensor', data: null, shape: [1, 2], dtype: 'torch.int64' },
      },
    });
  });

  it('decodes what it encodes, and rejects malformed tensors', () => {
    const tensor = int64Tensor([5, -7, 2 ** 40], [3]);
    expect(tensorValues(deserializeTensor(JSON.parse(JSON.stringify(serializeTensor(tensor)))))).toEqual([
      5,
      -7,
      2 ** 40,
    ]);
    expect(tensorValues(deserializeTensor(serializeTensor(float32Tensor([0.25], [1]))))).toEqual([0.25]);
    for (const bad of [
      null,
      {},
      { type: 'tensor', data: 'AA==', shape: [3], dtype: 'torch.int64' },
      { type: 'tensor', data: 'AA==', shape: [1], dtype: 'torch.complex' },
      { type: 'tensor', data: 1, shape: [1], dtype: 'torch.bool' },
    ]) {
      expect(() => deserializeTensor(bad)).toThrow();
    }
  });
});
