/**
 * Our own safetensors reader. Format: an 8-byte little-endian u64 N, N bytes of JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { … } }`, then the data buffer;
 * offsets are relative to the data start. Everything is validated before anything is allocated, and a
 * tensor is read by its own byte range (fs.readSync at its offset), never the whole file: a checkpoint
 * of 15 GB costs the bytes of the K/V projections only.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fromHalf } from '../shared/halfFloat';

/** Bad or unusable input files: the message names the file, what is wrong and what to do. */
export class QualityInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QualityInputError';
  }
}

/** Bytes per element of every dtype the safetensors format defines. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BF16: 2, F16: 2, F32: 4,
  F64: 8, I8: 1, U8: 1, I16: 2, U16: 2, I32: 4, U32: 4, I64: 8, U64: 8, BOOL: 1,
  F8_E4M3: 1, F8_E5M2: 1,
};
/** The dtypes the measurement reads (converted to f32). */
export const MEASURABLE_DTYPES: readonly string[] = ['BF16', 'F16', 'F32'];

/** Header length limit: real headers are well under 10 MB even for thousands of tensors. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range within the data buffer (relative to dataStart). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  fileBytes: number;
  /** Absolute file offset of the data buffer: 8 + header length. */
  dataStart: number;
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
}

export interface CheckpointTensor extends TensorInfo {
  /** Absolute path of the file holding it. */
  file: string;
  /** Absolute file offset of its data buffer. */
  dataStart: number;
}

export interface Checkpoint {
  dir: string;
  /** Absolute paths of the safetensors files, in index (or name) order. */
  files: string[];
  /** The dtype holding the most bytes (e.g. BF16). */
  dtype: string;
  tensors: Map<string, CheckpointTensor>;
  /** `model.safetensors.index.json` when the checkpoint is sharded with an index. */
  index?: string;
  /** Bytes read so far by readTensor / readTensorRows (headers not counted). */
  bytesRead: number;
}

const fmtBytes = (n: number): string =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`;

/** Read and validate a safetensors header; reads 8 + N bytes of the file, nothing else. */
export function readHeader(file: string): SafetensorsHeader {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new QualityInputError(`${file}: cannot open the safetensors file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check that it exists and is readable`);
  }
  try {
    const fileBytes = fstatSync(fd).size;
    // Typed on the name, so that a check ending in bad() narrows what follows it.
    const bad: (what: string, todo?: string) => never = (what, todo = 're-download the file (it is truncated or not a safetensors file)') => {
      throw new QualityInputError(`${file}: ${what}; ${todo}`);
    };
    if (fileBytes < 8) bad(`the file is ${fileBytes} bytes, shorter than the 8-byte header length that starts every safetensors file`);
    const lenBuf = Buffer.alloc(8);
    readFully(fd, lenBuf, 0);
    const headerLen = lenBuf.readBigUInt64LE(0);
    if (headerLen > BigInt(MAX_HEADER_BYTES)) {
      bad(`the header length field says ${headerLen} bytes, more than the ${MAX_HEADER_BYTES / 1e6} MB any real header needs`, 'the file is corrupt or not a safetensors file; re-download it');
    }
    const n = Number(headerLen);
    if (8 + n > fileBytes) bad(`the header length field says ${n} bytes but the file holds only ${fileBytes - 8} bytes after it`);
    if (n < 2) bad(`the header is ${n} bytes, too short for a JSON object`);
    const headerBuf = Buffer.alloc(n);
    readFully(fd, headerBuf, 8);
    let json: unknown;
    try {
      json = JSON.parse(headerBuf.toString('utf8'));
    } catch (e) {
      bad(`the ${n}-byte header is not valid JSON (${(e as Error).message})`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('the header is not a JSON object of tensors');
    const dataStart = 8 + n;
    const dataBytes = fileBytes - dataStart;
    const tensors = new Map<string, TensorInfo>();
    const metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
      if (name === '__metadata__') {
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('"__metadata__" is not an object of strings');
        for (const [k, v] of Object.entries(raw as Record<string, unknown>)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
        continue;
      }
      const t = `tensor "${name}"`;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(`${t} is not an object with dtype, shape and data_offsets`);
      const entry = raw as Record<string, unknown>;
      const { dtype, shape, data_offsets: offsets } = entry;
      if (typeof dtype !== 'string') bad(`${t} has no dtype string`);
      const size = DTYPE_BYTES[dtype];
      if (size === undefined) bad(`${t} has the unknown dtype "${String(dtype)}" (known: ${Object.keys(DTYPE_BYTES).join(', ')})`, 'the file was written by a newer or foreign tool; convert it with the safetensors library');
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad(`${t} has a bad shape ${JSON.stringify(shape)} (expected a list of non-negative integers)`);
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o))) {
        bad(`${t} has bad data_offsets ${JSON.stringify(offsets)} (expected [begin, end] integers)`);
      }
      const [begin, end] = offsets as [number, number];
      if (begin < 0 || end < 0) bad(`${t} has negative data_offsets [${begin}, ${end}], which would overlap the header`);
      if (end < begin) bad(`${t} has data_offsets [${begin}, ${end}] with end before begin`);
      let elements = 1;
      for (const d of shape as number[]) {
        elements *= d;
        if (!Number.isSafeInteger(elements)) bad(`${t} has a shape ${JSON.stringify(shape)} too large to be real`);
      }
      const expected = elements * size;
      if (end > dataBytes) {
        bad(`${t} claims bytes ${begin}..${end} (${fmtBytes(end - begin)}) of the data buffer, but it holds only ${fmtBytes(dataBytes)}`);
      }
      if (end - begin !== expected) bad(`${t} spans ${end - begin} bytes but shape ${JSON.stringify(shape)} × ${dtype} (${size} bytes) needs ${expected}`);
      tensors.set(name, { name, dtype, shape: [...(shape as number[])], begin, end });
    }
    // Tensors must not overlap one another.
    const sorted = [...tensors.values()].filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.begin < sorted[i - 1]!.end) bad(`tensors "${sorted[i - 1]!.name}" and "${sorted[i]!.name}" overlap in the data buffer`);
    }
    return { file, fileBytes, dataStart, tensors, metadata };
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, buf: Buffer | Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.byteLength) {
    const n = readSync(fd, buf, done, buf.byteLength - done, position + done);
    if (n <= 0) throw new QualityInputError(`unexpected end of file at byte ${position + done}`);
    done += n;
  }
}

const INDEX = 'model.safetensors.index.json';
const SINGLE = 'model.safetensors';

/**
 * The checkpoint beside a config: `model.safetensors.index.json` (its weight_map names each tensor's
 * shard), else `model.safetensors`, else every `*.safetensors` in the folder. Undefined when there are
 * none. Throws QualityInputError for a bad index, missing shards or bad headers.
 */
export function openCheckpoint(dir: string): Checkpoint | undefined {
  const root = path.resolve(dir);
  const indexFile = path.join(root, INDEX);
  if (existsSync(indexFile)) return openIndexed(root, indexFile);
  if (existsSync(path.join(root, SINGLE))) return fromHeaders(root, [readHeader(path.join(root, SINGLE))]);
  let names: string[];
  try {
    names = readdirSync(root).filter((f) => f.endsWith('.safetensors')).sort();
  } catch {
    return undefined;
  }
  names = names.filter((f) => statSync(path.join(root, f)).isFile());
  if (names.length === 0) return undefined;
  return fromHeaders(root, names.map((f) => readHeader(path.join(root, f))));
}

function openIndexed(root: string, indexFile: string): Checkpoint {
  const bad = (what: string): never => {
    throw new QualityInputError(`${indexFile}: ${what}`);
  };
  let json: unknown;
  try {
    const size = statSync(indexFile).size;
    if (size > MAX_HEADER_BYTES) bad(`the index is ${fmtBytes(size)}, far more than any real index; re-download it`);
    json = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch (e) {
    if (e instanceof QualityInputError) throw e;
    bad(`not valid JSON (${(e as Error).message}); re-download it or remove it to read the shards directly`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) bad('no "weight_map" object (tensor name → shard file); re-download the index');
  const shardOf = new Map<string, string>();
  const shards: string[] = [];
  for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard.length === 0) bad(`weight_map["${name}"] is not a file name`);
    const abs = path.resolve(root, shard as string);
    if (path.isAbsolute(shard as string) || (abs !== root && !abs.startsWith(root + path.sep)) || path.dirname(abs) !== root) {
      bad(`weight_map["${name}"] names "${String(shard)}", which is not a file in the checkpoint folder ${root}; shards must sit beside the index`);
    }
    if (!shards.includes(abs)) shards.push(abs);
    shardOf.set(name, abs);
  }
  if (shards.length === 0) bad('the weight_map is empty');
  const missing = shards.filter((s) => !existsSync(s));
  if (missing.length > 0) {
    bad(`${missing.length} of ${shards.length} shard files named in the weight_map are missing: ${missing.slice(0, 5).map((m) => path.basename(m)).join(', ')}${missing.length > 5 ? ', …' : ''}; download them (e.g. huggingface-cli download with the same revision)`);
  }
  const headers = shards.map((s) => readHeader(s));
  const ckpt = fromHeaders(root, headers, indexFile);
  for (const [name, shard] of shardOf) {
    const t = ckpt.tensors.get(name);
    if (!t || t.file !== shard) bad(`weight_map puts "${name}" in ${path.basename(shard)}, but that shard does not hold it; the index and shards come from different revisions`);
  }
  return ckpt;
}

function fromHeaders(dir: string, headers: SafetensorsHeader[], index?: string): Checkpoint {
  const tensors = new Map<string, CheckpointTensor>();
  const bytesByDtype = new Map<string, number>();
  for (const h of headers) {
    for (const t of h.tensors.values()) {
      const prev = tensors.get(t.name);
      if (prev) throw new QualityInputError(`${h.file}: tensor "${t.name}" is also in ${prev.file}; the folder mixes two checkpoints — keep one`);
      tensors.set(t.name, { ...t, file: h.file, dataStart: h.dataStart });
      bytesByDtype.set(t.dtype, (bytesByDtype.get(t.dtype) ?? 0) + (t.end - t.begin));
    }
  }
  let dtype = '';
  let most = -1;
  for (const [d, b] of bytesByDtype) if (b > most) [dtype, most] = [d, b];
  return { dir, files: headers.map((h) => h.file), dtype, tensors, ...(index ? { index } : {}), bytesRead: 0 };
}

function tensorOf(ckpt: Checkpoint, name: string): CheckpointTensor {
  const t = ckpt.tensors.get(name);
  if (!t) throw new QualityInputError(`${ckpt.dir}: the checkpoint has no tensor "${name}"`);
  return t;
}

function checkMeasurable(t: CheckpointTensor): void {
  if (!MEASURABLE_DTYPES.includes(t.dtype)) {
    throw new QualityInputError(`${t.file}: tensor "${t.name}" is ${t.dtype}, an unsupported dtype for measurement (supported: ${MEASURABLE_DTYPES.join(', ')}); measure a BF16/F16/F32 copy of the checkpoint`);
  }
}

/** Reads one whole tensor (only its byte range) as f32. */
export function readTensor(ckpt: Checkpoint, name: string): Float32Array {
  const t = tensorOf(ckpt, name);
  checkMeasurable(t);
  const elements = (t.end - t.begin) / DTYPE_BYTES[t.dtype]!;
  return readRange(ckpt, t, 0, elements);
}

/**
 * Reads rows [rowStart, rowStart + rowCount) of a tensor (rows along its first dimension: contiguous in
 * the file), as f32. Used for a fused qkv_proj's K and V slices and for embedding rows.
 */
export function readTensorRows(ckpt: Checkpoint, name: string, rowStart: number, rowCount: number): Float32Array {
  const t = tensorOf(ckpt, name);
  checkMeasurable(t);
  const rows = t.shape[0] ?? 1;
  if (!Number.isInteger(rowStart) || !Number.isInteger(rowCount) || rowStart < 0 || rowCount < 0 || rowStart + rowCount > rows) {
    throw new QualityInputError(`${t.file}: rows ${rowStart}..${rowStart + rowCount} of "${name}" are outside its ${rows} rows (shape ${JSON.stringify(t.shape)}); the config does not match the checkpoint`);
  }
  const rowElements = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return readRange(ckpt, t, rowStart * rowElements, rowCount * rowElements);
}

function readRange(ckpt: Checkpoint, t: CheckpointTensor, firstElement: number, elements: number): Float32Array {
  const size = DTYPE_BYTES[t.dtype]!;
  const bytes = elements * size;
  const out = new Float32Array(elements);
  if (elements === 0) return out;
  const fd = openSync(t.file, 'r');
  try {
    // Read in chunks of at most 64 MiB (a 2 GiB tensor never needs a 2 GiB Buffer beside its f32 copy).
    const chunkElements = Math.max(1, Math.floor((64 * 2 ** 20) / size));
    const buf = Buffer.allocUnsafe(Math.min(bytes, chunkElements * size));
    for (let e0 = 0; e0 < elements; e0 += chunkElements) {
      const n = Math.min(chunkElements, elements - e0);
      const view = buf.subarray(0, n * size);
      try {
        readFully(fd, view, t.dataStart + t.begin + (firstElement + e0) * size);
      } catch (e) {
        throw new QualityInputError(`${t.file}: reading "${t.name}" failed (${(e as Error).message}); the file is truncated — re-download it`);
      }
      decode(t.dtype, view, out, e0, n);
    }
  } finally {
    closeSync(fd);
  }
  ckpt.bytesRead += bytes;
  return out;
}

function decode(dtype: string, src: Buffer, out: Float32Array, at: number, n: number): void {
  if (dtype === 'F32') {
    for (let i = 0; i < n; i++) out[at + i] = src.readFloatLE(i * 4);
    return;
  }
  // Little-endian u16 words. Copy to an aligned buffer so a Uint16Array view is possible.
  const words = new Uint16Array(n);
  new Uint8Array(words.buffer).set(src.subarray(0, n * 2));
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer, out.byteOffset + at * 4, n);
    for (let i = 0; i < n; i++) bits[i] = words[i]! << 16;
    return;
  }
  for (let i = 0; i < n; i++) out[at + i] = f16ToF32(words[i]!);
}

const F16_TABLE = (() => {
  // Every half value once, so a tensor converts by lookup.
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = fromHalf(h);
  return t;
})();

/** IEEE half → f32. */
export function f16ToF32(h: number): number {
  return F16_TABLE[h & 0xffff]!;
}
