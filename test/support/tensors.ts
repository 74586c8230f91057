/** A tensor in AReaL's JSON encoding: base64 of its raw little-endian bytes, C order. */
export interface EncodedTensor {
  data: string;
  shape: number[];
  dtype: string;
}

const BYTES: Record<string, number> = { 'torch.int64': 8, 'torch.int32': 4, 'torch.float32': 4, 'torch.bool': 1 };

/** Our own decoder of that encoding (independent of the data proxy's encoder): the values, flattened. */
export function decodeTensor(tensor: EncodedTensor): number[] {
  const bytes = Buffer.from(tensor.data, 'base64');
  const size = BYTES[tensor.dtype];
  if (size === undefined) throw new Error(`unknown dtype ${tensor.dtype}`);
  const count = tensor.shape.reduce((n, d) => n * d, 1);
  if (bytes.length !== count * size)
    throw new Error(`${tensor.dtype} [${tensor.shape.join(', ')}] needs ${count * size} bytes, got ${bytes.length}`);
  return Array.from({ length: count }, (_, i) => {
    if (tensor.dtype === 'torch.int64') return Number(bytes.readBigInt64LE(i * 8));
    if (tensor.dtype === 'torch.int32') return bytes.readInt32LE(i * 4);
    if (tensor.dtype === 'torch.float32') return bytes.readFloatLE(i * 4);
    return bytes[i];
  });
}
