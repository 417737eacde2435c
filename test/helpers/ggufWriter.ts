/**
 * A minimal GGUF (version 3) writer for the llama.cpp oracle test: metadata of every GGUF value type and
 * tensors whose data is all zeros. The data section is never written: the file is extended with
 * ftruncate, so a model with hundreds of layers costs a few kilobytes on disk (a sparse file) and
 * llama.cpp maps zero pages. Not used by the extension or the CLI.
 *
 * Layout (ggml/docs/gguf.md): magic "GGUF", version, tensor count, metadata count, the metadata
 * key/value pairs, the tensor infos, padding to `general.alignment` (32 by default), the data.
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';

/** GGUF metadata value types (gguf.h, enum gguf_type). */
export const GgufType = {
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8,
  ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12,
} as const;
export type GgufScalarType = Exclude<keyof typeof GgufType, 'ARRAY'>;

/** A typed metadata value; arrays hold scalars of one type, as GGUF requires. */
export type GgufValue =
  | { type: GgufScalarType; value: number | bigint | boolean | string }
  | { type: 'ARRAY'; itemType: GgufScalarType; value: Array<number | bigint | boolean | string> };

/** Shorthands for the common metadata types. */
export const u32 = (value: number): GgufValue => ({ type: 'UINT32', value });
export const i32 = (value: number): GgufValue => ({ type: 'INT32', value });
export const f32 = (value: number): GgufValue => ({ type: 'FLOAT32', value });
export const bool = (value: boolean): GgufValue => ({ type: 'BOOL', value });
export const str = (value: string): GgufValue => ({ type: 'STRING', value });
export const arr = (itemType: GgufScalarType, value: Array<number | bigint | boolean | string>): GgufValue => ({ type: 'ARRAY', itemType, value });

/** ggml tensor types this writer lays out (ggml.h, enum ggml_type): plain floats are all a zero model needs. */
export const GgmlTensorType = { F32: 0, F16: 1 } as const;
const ELEMENT_BYTES: Record<keyof typeof GgmlTensorType, number> = { F32: 4, F16: 2 };

export interface GgufTensor {
  name: string;
  /** ggml order: ne[0] is the fastest-varying dimension (the row length), as llama.cpp's loader prints it. */
  shape: number[];
  type?: keyof typeof GgmlTensorType;
}

export interface GgufFile {
  metadata: Record<string, GgufValue>;
  tensors: GgufTensor[];
  /** Data alignment in bytes; written as general.alignment when not 32. */
  alignment?: number;
}

/** Writes the file; returns its size in bytes (most of which is a hole of zeros). */
export function writeGguf(path: string, file: GgufFile): number {
  const alignment = file.alignment ?? 32;
  const metadata = { ...file.metadata };
  if (alignment !== 32) metadata['general.alignment'] = u32(alignment);
  const out = new ByteSink();
  out.u32(0x46554747); // "GGUF" read as a little-endian u32
  out.u32(3);
  out.u64(BigInt(file.tensors.length));
  out.u64(BigInt(Object.keys(metadata).length));
  for (const [key, value] of Object.entries(metadata)) {
    out.string(key);
    writeValue(out, key, value);
  }
  let dataOffset = 0;
  const names = new Set<string>();
  for (const tensor of file.tensors) {
    if (names.has(tensor.name)) throw new Error(`writeGguf: tensor ${tensor.name} appears twice`);
    names.add(tensor.name);
    if (tensor.shape.length < 1 || tensor.shape.length > 4 || tensor.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`writeGguf: tensor ${tensor.name} has shape [${tensor.shape.join(', ')}]; GGUF takes 1 to 4 positive dimensions`);
    }
    const type = tensor.type ?? 'F32';
    out.string(tensor.name);
    out.u32(tensor.shape.length);
    for (const d of tensor.shape) out.u64(BigInt(d));
    out.u32(GgmlTensorType[type]);
    out.u64(BigInt(dataOffset));
    const bytes = tensor.shape.reduce((a, b) => a * b, 1) * ELEMENT_BYTES[type];
    dataOffset += alignUp(bytes, alignment);
  }
  const header = out.bytes();
  const dataStart = alignUp(header.length, alignment);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    ftruncateSync(fd, dataStart + dataOffset);
  } finally {
    closeSync(fd);
  }
  return dataStart + dataOffset;
}

function writeValue(out: ByteSink, key: string, value: GgufValue): void {
  out.u32(GgufType[value.type]);
  if (value.type === 'ARRAY') {
    out.u32(GgufType[value.itemType]);
    out.u64(BigInt(value.value.length));
    for (const item of value.value) writeScalar(out, key, value.itemType, item);
  } else {
    writeScalar(out, key, value.type, value.value);
  }
}

function writeScalar(out: ByteSink, key: string, type: GgufScalarType, value: number | bigint | boolean | string): void {
  const wrong = (): never => { throw new Error(`writeGguf: ${key} is ${typeof value} ${String(value)}, not a ${type}`); };
  if (type === 'STRING') return typeof value === 'string' ? out.string(value) : wrong();
  if (type === 'BOOL') return typeof value === 'boolean' ? out.u8(value ? 1 : 0) : wrong();
  if (type === 'UINT64' || type === 'INT64') {
    if (typeof value !== 'bigint' && !(typeof value === 'number' && Number.isSafeInteger(value))) wrong();
    return type === 'UINT64' ? out.u64(BigInt(value)) : out.i64(BigInt(value));
  }
  if (typeof value !== 'number') return wrong();
  switch (type) {
    case 'UINT8': return out.int(value, 1, false);
    case 'INT8': return out.int(value, 1, true);
    case 'UINT16': return out.int(value, 2, false);
    case 'INT16': return out.int(value, 2, true);
    case 'UINT32': return out.int(value, 4, false);
    case 'INT32': return out.int(value, 4, true);
    case 'FLOAT32': return out.f32(value);
    case 'FLOAT64': return out.f64(value);
  }
}

const alignUp = (n: number, alignment: number): number => Math.ceil(n / alignment) * alignment;

/** Little-endian bytes, grown as written. */
class ByteSink {
  private buffer = Buffer.alloc(1 << 16);
  private length = 0;

  private reserve(n: number): Buffer {
    if (this.length + n > this.buffer.length) {
      const bigger = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + n));
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    return this.buffer;
  }
  u8(v: number): void { this.reserve(1).writeUInt8(v, this.length); this.length += 1; }
  u32(v: number): void { this.reserve(4).writeUInt32LE(v, this.length); this.length += 4; }
  u64(v: bigint): void { this.reserve(8).writeBigUInt64LE(v, this.length); this.length += 8; }
  i64(v: bigint): void { this.reserve(8).writeBigInt64LE(v, this.length); this.length += 8; }
  f32(v: number): void { this.reserve(4).writeFloatLE(v, this.length); this.length += 4; }
  f64(v: number): void { this.reserve(8).writeDoubleLE(v, this.length); this.length += 8; }
  int(v: number, bytes: 1 | 2 | 4, signed: boolean): void {
    if (!Number.isInteger(v)) throw new Error(`writeGguf: ${v} is not an integer`);
    const b = this.reserve(bytes);
    if (signed) b.writeIntLE(v, this.length, bytes);
    else b.writeUIntLE(v, this.length, bytes);
    this.length += bytes;
  }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(BigInt(bytes.length));
    bytes.copy(this.reserve(bytes.length), this.length);
    this.length += bytes.length;
  }
  bytes(): Buffer { return this.buffer.subarray(0, this.length); }
}
