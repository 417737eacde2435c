/**
 * The oracle's GGUF writer, read back by an independent reader: node-llama-cpp's GGUF parser (a dev
 * dependency; the same package runs llama.cpp in the oracle test). Every metadata type, arrays of each,
 * and the tensor infos with their aligned offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arr, writeGguf, type GgufValue } from '../helpers/ggufWriter';

type ReadGgufFileInfo = typeof import('node-llama-cpp')['readGgufFileInfo'];
/** node-llama-cpp is an ES module with top-level await; TypeScript's CommonJS output would require() it. */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed body, the one way past TypeScript's CommonJS output turning import() into require()
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;

const dir = mkdtempSync(join(tmpdir(), 'gguf-writer-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const scalars: Record<string, GgufValue> = {
  'test.u8': { type: 'UINT8', value: 250 },
  'test.i8': { type: 'INT8', value: -120 },
  'test.u16': { type: 'UINT16', value: 65_000 },
  'test.i16': { type: 'INT16', value: -32_000 },
  'test.u32': { type: 'UINT32', value: 4_000_000_000 },
  'test.i32': { type: 'INT32', value: -2_000_000_000 },
  'test.f32': { type: 'FLOAT32', value: 0.5 },
  'test.bool_true': { type: 'BOOL', value: true },
  'test.bool_false': { type: 'BOOL', value: false },
  'test.string': { type: 'STRING', value: 'grüße ▁ 模型' },
  'test.u64': { type: 'UINT64', value: 2n ** 63n + 5n },
  'test.i64': { type: 'INT64', value: -(2n ** 62n) },
  'test.f64': { type: 'FLOAT64', value: 1e-300 },
};

test('every metadata type and tensor info reads back through an independent GGUF reader', async () => {
  const { readGgufFileInfo } = await importEsm<{ readGgufFileInfo: ReadGgufFileInfo }>('node-llama-cpp');
  const file = join(dir, 'all-types.gguf');
  const metadata: Record<string, GgufValue> = {
    'general.architecture': { type: 'STRING', value: 'llama' },
    ...scalars,
    'test.arr_u8': arr('UINT8', [0, 1, 255]),
    'test.arr_i32': arr('INT32', [-1, 0, 7]),
    'test.arr_f32': arr('FLOAT32', [0.25, -2]),
    'test.arr_bool': arr('BOOL', [true, false, true]),
    'test.arr_str': arr('STRING', ['a', '', 'ü']),
    'test.arr_u64': arr('UINT64', [1n, 2n ** 40n]),
    'test.arr_empty': arr('INT32', []),
  };
  const tensors = [
    { name: 'token_embd.weight', shape: [64, 260] },
    { name: 'blk.0.attn_k.weight', shape: [64, 1024], type: 'F16' as const },
    { name: 'output_norm.weight', shape: [3] },
    { name: 'blk.0.ffn_gate_exps.weight', shape: [64, 32, 8] },
  ];
  const size = writeGguf(file, { metadata, tensors });
  assert.equal(statSync(file).size, size);

  const info = await readGgufFileInfo(file, { sourceType: 'filesystem', logWarnings: false });
  assert.equal(info.version, 3);
  assert.equal(Number(info.tensorCount), tensors.length);
  const md = info.metadata as unknown as Record<string, Record<string, unknown>>;
  const t = md.test!;
  assert.equal(t.u8, 250);
  assert.equal(t.i8, -120);
  assert.equal(t.u16, 65_000);
  assert.equal(t.i16, -32_000);
  assert.equal(t.u32, 4_000_000_000);
  assert.equal(t.i32, -2_000_000_000);
  assert.equal(t.f32, 0.5);
  assert.equal(t.bool_true, true);
  assert.equal(t.bool_false, false);
  assert.equal(t.string, 'grüße ▁ 模型');
  assert.equal(BigInt(t.u64 as bigint), 2n ** 63n + 5n);
  assert.equal(BigInt(t.i64 as bigint), -(2n ** 62n));
  assert.equal(t.f64, 1e-300);
  assert.deepEqual(t.arr_u8, [0, 1, 255]);
  assert.deepEqual(t.arr_i32, [-1, 0, 7]);
  assert.deepEqual(t.arr_f32, [0.25, -2]);
  assert.deepEqual(t.arr_bool, [true, false, true]);
  assert.deepEqual(t.arr_str, ['a', '', 'ü']);
  assert.deepEqual((t.arr_u64 as Array<number | bigint>).map((v) => BigInt(v)), [1n, 2n ** 40n]);
  assert.deepEqual(t.arr_empty, []);

  const read = info.tensorInfo!;
  assert.deepEqual(read.map((x) => x.name), tensors.map((x) => x.name));
  assert.deepEqual(read.map((x) => x.dimensions.map(Number)), tensors.map((x) => x.shape));
  assert.deepEqual(read.map((x) => x.ggmlType), [0, 1, 0, 0]);
  // Offsets are aligned to 32 and follow each other: 64×260×4, 64×1024×2, 3×4 → 32, 64×32×8×4.
  assert.deepEqual(read.map((x) => Number(x.offset)), [0, 66_560, 66_560 + 131_072, 66_560 + 131_072 + 32]);
  assert.equal(size - (info.infoEndOffset ?? NaN), 66_560 + 131_072 + 32 + 65_536);
});

test('a non-default alignment is written as general.alignment and used for every offset', async () => {
  const { readGgufFileInfo } = await importEsm<{ readGgufFileInfo: ReadGgufFileInfo }>('node-llama-cpp');
  const file = join(dir, 'aligned.gguf');
  writeGguf(file, { metadata: { 'general.architecture': { type: 'STRING', value: 'llama' } }, tensors: [{ name: 'a', shape: [3] }, { name: 'b', shape: [5] }], alignment: 64 });
  const info = await readGgufFileInfo(file, { sourceType: 'filesystem', logWarnings: false });
  assert.equal((info.metadata as unknown as { general: { alignment: number } }).general.alignment, 64);
  assert.deepEqual(info.tensorInfo!.map((x) => Number(x.offset)), [0, 64]);
  assert.equal((info.infoEndOffset ?? 0) % 64, 0);
});

test('the writer refuses what GGUF cannot hold, naming the key or tensor', () => {
  const file = join(dir, 'bad.gguf');
  assert.throws(() => writeGguf(file, { metadata: { k: { type: 'UINT32', value: 1.5 } }, tensors: [] }), /not an integer/);
  assert.throws(() => writeGguf(file, { metadata: { k: { type: 'UINT8', value: 256 } }, tensors: [] }), RangeError);
  assert.throws(() => writeGguf(file, { metadata: { 'x.flag': { type: 'BOOL', value: 1 } }, tensors: [] }), /x\.flag is number 1, not a BOOL/);
  assert.throws(() => writeGguf(file, { metadata: { k: { type: 'UINT64', value: 2 ** 60 } }, tensors: [] }), /not a UINT64/);
  assert.throws(() => writeGguf(file, { metadata: {}, tensors: [{ name: 't', shape: [2] }, { name: 't', shape: [2] }] }), /t appears twice/);
  assert.throws(() => writeGguf(file, { metadata: {}, tensors: [{ name: 't', shape: [0, 2] }] }), /t has shape \[0, 2\]/);
  assert.throws(() => writeGguf(file, { metadata: {}, tensors: [{ name: 't', shape: [1, 1, 1, 1, 1] }] }), /1 to 4 positive dimensions/);
});
