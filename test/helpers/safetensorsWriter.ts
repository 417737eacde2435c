/**
 * A minimal safetensors writer (BF16, F16, F32) for the tests and the benchmark: it produces the files
 * the reader (src/quality/safetensors.ts) measures. Not used by the extension or the CLI.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { bf16ToF32, f32ToBf16, toHalf as f32ToF16 } from '../../src/shared/halfFloat';

export { bf16ToF32, f32ToBf16, f32ToF16 };

export type WritableDtype = 'BF16' | 'F16' | 'F32';

export interface TensorToWrite {
  name: string;
  dtype: WritableDtype;
  shape: number[];
  /** Values in row-major order; length = product(shape). */
  data: Float32Array | ((index: number) => number);
}

const SIZE: Record<WritableDtype, number> = { BF16: 2, F16: 2, F32: 4 };

/** Writes a safetensors file; returns its header (as written) for tests that tamper with it. */
export function writeSafetensors(file: string, tensors: TensorToWrite[], metadata?: Record<string, string>): Record<string, unknown> {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (typeof t.data !== 'function' && t.data.length !== n) throw new Error(`writeSafetensors: ${t.name} has ${t.data.length} values for shape ${JSON.stringify(t.shape)}`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + n * SIZE[t.dtype]] };
    offset += n * SIZE[t.dtype];
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // align the data start to 8 bytes, as the reference writer does
  const headerBytes = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerBytes.length));
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, len);
    writeSync(fd, headerBytes);
    for (const t of tensors) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      const chunk = 1 << 20;
      for (let i0 = 0; i0 < n; i0 += chunk) {
        const m = Math.min(chunk, n - i0);
        const buf = Buffer.alloc(m * SIZE[t.dtype]);
        for (let i = 0; i < m; i++) {
          const v = typeof t.data === 'function' ? t.data(i0 + i) : t.data[i0 + i]!;
          if (t.dtype === 'F32') buf.writeFloatLE(v, i * 4);
          else if (t.dtype === 'BF16') buf.writeUInt16LE(f32ToBf16(v), i * 2);
          else buf.writeUInt16LE(f32ToF16(v), i * 2);
        }
        writeSync(fd, buf);
      }
    }
  } finally {
    closeSync(fd);
  }
  return header;
}
