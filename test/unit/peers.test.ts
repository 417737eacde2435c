/**
 * bench:peers without a GPU: the ONNX model bytes read back by an independent decoder (the protobufjs
 * code generated from onnx.proto that onnxruntime-web ships, lib/onnxjs/ort-schema/protobuf/onnx.js),
 * the timing arithmetic on an injected clock, the llama.cpp device match and abort reading, and the
 * results' Markdown. The model running in ONNX Runtime is test/gpu/ortPeer.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { encodeModel, gqaDecodeModel, GQA_INPUTS, GQA_OUTPUTS, IR_VERSION, ONNX_FLOAT, ONNX_FLOAT16, ONNX_INT32, ProtoWriter } from '../../bench/peers/onnxModel';
import { interleaveSteps, speedup, speedupGoal, summarize } from '../../bench/peers/stepTiming';
import { deathReason, parseChildLines, runLlamaCpp, sameDevice } from '../../bench/peers/llamaCppPeer';
import { peersMarkdown, type PeerRow, type PeersResults } from '../../bench/peers/peersMarkdown';
import { peersSummary } from '../../bench/check/peersSummary';
import { ROOT } from './helpers';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument */
const loadCjs = createRequire(__filename);
const onnx = (loadCjs(path.join(ROOT, 'node_modules/onnxruntime-web/lib/onnxjs/ort-schema/protobuf/onnx.js')) as { onnx: any }).onnx;
const num = (x: unknown): number => (typeof x === 'number' ? x : (x as { toNumber(): number }).toNumber());
const dims = (v: any): (number | string)[] => v.type.tensorType.shape.dim.map((d: any) => (d.dimParam ? d.dimParam : num(d.dimValue)));

test('the GroupQueryAttention model decodes with onnx.proto\'s own schema: opsets, node, attributes, inputs, outputs', () => {
  const bytes = gqaDecodeModel({ qHeads: 32, kvHeads: 8, headDim: 128, cacheTokens: 4096, sharedBuffer: true, elemType: ONNX_FLOAT16 });
  const m = onnx.ModelProto.decode(bytes);
  assert.equal(num(m.irVersion), IR_VERSION);
  assert.deepEqual(m.opsetImport.map((o: any) => [o.domain, num(o.version)]), [['', 17], ['com.microsoft', 1]]);
  const g = m.graph;
  assert.equal(g.node.length, 1);
  const n = g.node[0];
  assert.equal(n.opType, 'GroupQueryAttention');
  assert.equal(n.domain, 'com.microsoft');
  assert.deepEqual(n.input, [...GQA_INPUTS]);
  assert.deepEqual(n.output, [...GQA_OUTPUTS]);
  const attr = Object.fromEntries(n.attribute.map((a: any) => [a.name, a]));
  // AttributeProto.AttributeType: FLOAT = 1, INT = 2.
  assert.equal(attr.num_heads.type, 2);
  assert.equal(num(attr.num_heads.i), 32);
  assert.equal(num(attr.kv_num_heads.i), 8);
  assert.equal(num(attr.do_rotary.i), 0);
  assert.equal(attr.scale.type, 1);
  assert.ok(Math.abs(attr.scale.f - 1 / Math.sqrt(128)) < 1e-7);
  const inputs = Object.fromEntries(g.input.map((v: any) => [v.name, v]));
  assert.deepEqual(Object.keys(inputs), [...GQA_INPUTS]);
  assert.deepEqual(dims(inputs.query), [1, 1, 32 * 128]);
  assert.deepEqual(dims(inputs.key), [1, 1, 8 * 128]);
  assert.deepEqual(dims(inputs.past_key), [1, 8, 4096, 128]);
  assert.deepEqual(dims(inputs.seqlens_k), [1]);
  assert.deepEqual(dims(inputs.total_sequence_length), []);
  assert.equal(inputs.query.type.tensorType.elemType, ONNX_FLOAT16);
  assert.equal(inputs.seqlens_k.type.tensorType.elemType, ONNX_INT32);
  const outputs = Object.fromEntries(g.output.map((v: any) => [v.name, v]));
  assert.deepEqual(dims(outputs.output), [1, 1, 32 * 128]);
  assert.deepEqual(dims(outputs.present_value), [1, 8, 4096, 128]);
});

test('without a shared buffer, present is one token longer than past: a named dim ORT infers', () => {
  const m = onnx.ModelProto.decode(gqaDecodeModel({ qHeads: 4, kvHeads: 1, headDim: 64, cacheTokens: 37, sharedBuffer: false, elemType: ONNX_FLOAT, scale: 0.5 }));
  const present = m.graph.output.find((v: any) => v.name === 'present_key');
  assert.deepEqual(dims(present), [1, 1, 'present_sequence_length', 64]);
  assert.equal(m.graph.node[0].attribute.find((a: any) => a.name === 'scale').f, 0.5);
  assert.equal(m.graph.input[0].type.tensorType.elemType, ONNX_FLOAT);
});

test('protobuf primitives: varints past one byte and negative int64 as ten bytes, strings and floats', () => {
  assert.deepEqual([...new ProtoWriter().varint(300).finish()], [0xac, 0x02]);
  assert.deepEqual([...new ProtoWriter().varint(-1).finish()], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  // Field 1, varint 150: the protobuf documentation's own example (08 96 01).
  assert.deepEqual([...new ProtoWriter().int(1, 150).finish()], [0x08, 0x96, 0x01]);
  assert.deepEqual([...new ProtoWriter().string(2, 'testing').finish()], [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
  assert.deepEqual([...new ProtoWriter().float(2, 1).finish()], [0x15, 0x00, 0x00, 0x80, 0x3f]);
  // A model the decoder reads back with a negative attribute (local_window_size −1 is GQA's "none").
  const bytes = encodeModel({ irVersion: 8, producer: 't', opsets: [{ domain: '', version: 17 }], graph: { name: 'g', nodes: [{ opType: 'X', domain: '', name: 'x', inputs: ['a'], outputs: ['b'], attributes: [{ name: 'w', int: -1 }, { name: 's', string: 'NONE' }] }], inputs: [], outputs: [] } });
  const n = onnx.ModelProto.decode(bytes).graph.node[0];
  assert.equal(num(n.attribute[0].i), -1);
  assert.equal(Buffer.from(n.attribute[1].s).toString(), 'NONE');
  assert.equal(n.attribute[1].type, 3);
});

test('summarize: median (upper of an even count), p90, min', () => {
  assert.deepEqual(summarize([5, 1, 4, 2, 3]), { medianUs: 3, p90Us: 5, minUs: 1, samples: 5 });
  assert.equal(summarize([4, 1, 3, 2]).medianUs, 3);
  assert.equal(summarize([7]).p90Us, 7);
  assert.throws(() => summarize([]));
});

/** A clock that only moves when a step says so: each contender costs a fixed number of µs per step. */
function fakeClock(): { now: () => number; spend: (us: number) => Promise<void> } {
  let t = 0;
  return {
    now: () => t,
    spend: (us) => {
      t += us;
      return Promise.resolve();
    },
  };
}

test('interleaved steps: each contender timed on its own steps, in turns, after the warm-up', async () => {
  const clock = fakeClock();
  const order: string[] = [];
  let slow = 300;
  const r = await interleaveSteps([
    { name: 'a', step: () => (order.push('a'), clock.spend(100)) },
    // b gets slower step by step: its median is its middle step, not its mean
    { name: 'b', step: () => (order.push('b'), clock.spend((slow += 10))) },
  ], { warmup: 2, samples: 5, maxSeconds: 10, minSamples: 3, nowUs: clock.now });
  assert.equal(r.samples, 5);
  assert.equal(r.note, undefined);
  assert.deepEqual(order.slice(0, 6), ['a', 'b', 'a', 'b', 'a', 'b']);
  assert.equal(order.length, 2 * (2 + 5));
  assert.deepEqual(r.summaries[0], { medianUs: 100, p90Us: 100, minUs: 100, samples: 5 });
  // b's timed steps: 330, 340, 350, 360, 370
  assert.deepEqual(r.summaries[1], { medianUs: 350, p90Us: 370, minUs: 330, samples: 5 });
  assert.equal(speedup(r.summaries[1]?.medianUs, r.summaries[0]?.medianUs), 3.5);
});

test('interleaved steps: a reset after each step is not timed, and runs after every step, warm-up included', async () => {
  const clock = fakeClock();
  let resets = 0;
  const r = await interleaveSteps([{ name: 'llama', step: () => clock.spend(40), reset: () => (resets++, clock.spend(1000)) }], { warmup: 1, samples: 4, maxSeconds: 1, minSamples: 1, nowUs: clock.now });
  assert.equal(resets, 5);
  assert.deepEqual(r.summaries[0], { medianUs: 40, p90Us: 40, minUs: 40, samples: 4 });
});

test('interleaved steps: a round too slow for the case\'s seconds takes fewer samples, never under the minimum, and says so', async () => {
  const clock = fakeClock();
  const r = await interleaveSteps([{ name: 'slow', step: () => clock.spend(2e6) }], { warmup: 1, samples: 10, maxSeconds: 9, minSamples: 3, nowUs: clock.now });
  assert.equal(r.samples, 4);
  assert.match(r.note ?? '', /4 samples, not 10: a round of steps took 2000 ms/);
  const floor = await interleaveSteps([{ name: 'slower', step: () => clock.spend(60e6) }], { warmup: 1, samples: 10, maxSeconds: 9, minSamples: 3, nowUs: clock.now });
  assert.equal(floor.samples, 3);
});

test('speedups and goals: the worst row decides, a missing figure is no row', () => {
  assert.equal(speedup(1000, 100), 10);
  assert.equal(speedup(null, 100), null);
  assert.equal(speedup(1000, 0), null);
  const g = speedupGoal('g', [12, 9.5, null, 30], 10);
  assert.deepEqual(g, { goal: 'g', value: 9.5, target: 10, met: false, rows: 3 });
  assert.equal(speedupGoal('g', [10, 11], 10).met, true);
  assert.deepEqual(speedupGoal('g', [null], 10), { goal: 'g', value: null, target: 10, met: null, rows: 0 });
});

test('llama.cpp\'s Vulkan device is matched to Dawn\'s adapter by name', () => {
  const lavapipeDawn = 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1 llvmpipe-llvm-15-0-6-256-bits-';
  assert.equal(sameDevice(lavapipeDawn, 'llvmpipe (LLVM 15.0.6, 256 bits)'), true);
  assert.equal(sameDevice(lavapipeDawn, 'NVIDIA H200'), false);
  assert.equal(sameDevice('NVIDIA: 580.159.04 580.159.4.0 nvidia-h200', 'NVIDIA H200'), true);
  assert.equal(sameDevice('NVIDIA: 580.159.04 580.159.4.0 nvidia-h200', 'NVIDIA GeForce RTX 4090'), false);
  assert.equal(sameDevice('AMD: radv Radeon RX 7900 XTX', 'AMD Radeon RX 7900 XTX (RADV NAVI31)'), true);
});

test('a dead llama.cpp child: its GGML_ABORT line is the reason; lines cut by the abort are skipped', () => {
  const stderr = 'ggml_vulkan: Found 1 Vulkan devices:\n/home/runner/work/node-llama-cpp/node-llama-cpp/llama/llama.cpp/ggml/src/ggml-backend.cpp:941: pre-allocated tensor (cache_k_l0) in a buffer (Vulkan0) that cannot run the operation (NONE)\n';
  assert.equal(deathReason(stderr, null, 'SIGABRT', null), 'ggml/src/ggml-backend.cpp:941: pre-allocated tensor (cache_k_l0) in a buffer (Vulkan0) that cannot run the operation (NONE) (killed by SIGABRT)');
  assert.equal(deathReason('', null, 'SIGKILL', 600), 'no result within 600 s (stopped)');
  assert.deepEqual(parseChildLines('{"type":"start","id":"mha","tokens":1024}\nnoise\n{"type":"res'), [{ type: 'start', id: 'mha', tokens: 1024 }]);
});

test('the results\' Markdown: adapter named, software flagged, figures, ratios, reasons and goals', () => {
  const row = (over: Partial<PeerRow>): PeerRow => ({
    id: 'gqa-8', label: 'GQA-8 32 q / 8 kv heads × 128', qHeads: 32, kvHeads: 8, headDim: 128, context: 1024, storage: 'f16', adapter: 'llvmpipe (LLVM 15.0.6, 256 bits)',
    oursGpuUs: 1900, oursKernel: 'decode2', ours: { medianUs: 3000, p90Us: 4000, minUs: 2500, samples: 10 }, ort: { medianUs: 36000, p90Us: 40000, minUs: 30000, samples: 10 },
    llamaCpp: null, ortSpeedup: 12, llamaCppSpeedup: null, oursMaxError: 7.5e-8, ortMaxError: 7.5e-5, ortSessionSeconds: 3, ...over,
  });
  const o: PeersResults = {
    date: '2026-12-04T00:00:00Z', node: 'v20', platform: 'linux-x64', adapter: 'llvmpipe (LLVM 15.0.6, 256 bits)', backend: 'vulkan', software: true,
    versions: { onnxruntimeWeb: '1.31.1', nodeLlamaCpp: '3.21.1', llamaCppRelease: 'v0.4.0' },
    settings: { warmup: 2, samples: 10, maxCaseSeconds: 120, gpuSamples: 10, contexts: [1024, 4096], llamaCppFlashAttention: false },
    peerDevices: { ort: 'llvmpipe', llamaCpp: null, llamaCppVulkanIndex: null },
    goals: [speedupGoal('ours ≥ 10× ONNX Runtime', [12, 8], 10)],
    rows: [row({}), row({ context: 4096, ort: null, ortSpeedup: null, ortNote: 'GroupQueryAttention (f16) did not run: out of memory', llamaCppNote: 'llama.cpp stopped: boom' }), row({ context: 16384, llamaCppNote: 'llama.cpp stopped: boom' })],
    notes: ['a note'],
  };
  const md = peersMarkdown(o);
  assert.match(md, /^# Decode attention beside peers on llvmpipe \(LLVM 15\.0\.6, 256 bits\)/);
  assert.match(md, /is a software adapter: these figures are this machine's CPU, not a GPU/);
  assert.match(md, /\| GQA-8 32 q \/ 8 kv heads × 128 \| 1024 \| f16 \| 1900 \(decode2\) \| 3000 \| 36000 \| 12\.0× \| — \| — \| 7\.5e-8 \/ 7\.5e-5 \| llvmpipe/);
  assert.match(md, /\| ours ≥ 10× ONNX Runtime \| 8\.00× over 2 rows \| no \|/);
  assert.match(md, /\| 4096 \| f16 \| 1900 \(decode2\) \| 3000 \| — \(see notes\) \| — \| — \(see notes\) \|/);
  assert.match(md, /- GQA-8 32 q \/ 8 kv heads × 128 at 4096 — ONNX Runtime: GroupQueryAttention \(f16\) did not run: out of memory/);
  // One reason shared by two rows is said once, naming both.
  assert.match(md, /- GQA-8 32 q \/ 8 kv heads × 128 at 4096; GQA-8 32 q \/ 8 kv heads × 128 at 16384 — llama\.cpp: llama\.cpp stopped: boom/);
  assert.match(md, /flash attention off\)/);
  assert.match(md, /Note: a note/);

  // gpu:check's one line for the same results: each peer's range over the rows it ran and its goal, or its reason.
  const line = peersSummary({ ...o, goals: [speedupGoal('ort', [12, null, 8], 10), speedupGoal('llama', [null, null, null], 1)], rows: [o.rows[0]!, o.rows[1]!, { ...o.rows[2]!, ortSpeedup: 8 }] }, 'peers-llvmpipe.json');
  assert.equal(line.summary, 'ONNX Runtime: its step / ours 8.00–12.0× over 2 of 3 shapes (goal ≥ 10×: NOT met); llama.cpp (flash attention off): llama.cpp stopped: boom');
  assert.equal(line.shapes, 3);
  const none = peersSummary({ ...o, goals: [], rows: [{ ...o.rows[0]!, ort: null, ortSpeedup: null, ortNote: undefined }] }, 'x.json');
  assert.equal(none.summary, 'ONNX Runtime: not timed; llama.cpp (flash attention off): not timed');
});

/**
 * A stand-in for the llama.cpp child, speaking its protocol: Vulkan device 0 is a GPU, device 1 is
 * llvmpipe, there is no device 2; a case with id "boom" aborts the process as GGML_ABORT does.
 */
const FAKE_CHILD = `
const request = JSON.parse(process.argv[2]);
const index = Number(process.env.GGML_VK_VISIBLE_DEVICES);
const say = (o) => require('node:fs').writeSync(1, JSON.stringify(o) + '\\n');
if (index > 1) { process.stderr.write('Invalid Vulkan device index\\n'); process.exit(1); }
say({ type: 'device', gpu: 'vulkan', names: [index === 0 ? 'NVIDIA H200' : 'llvmpipe (LLVM 15.0.6, 256 bits)'] });
if (request.mode === 'measure') {
  for (const c of request.cases) {
    say({ type: 'start', id: c.id, tokens: c.tokens });
    if (c.id === 'boom') { process.stderr.write('/x/llama/llama.cpp/ggml/src/ggml-backend.cpp:941: pre-allocated tensor (cache_k_l0) in a buffer (Vulkan0) that cannot run the operation (NONE)\\n'); process.abort(); }
    say({ type: 'result', id: c.id, tokens: c.tokens, step: { medianUs: c.tokens, p90Us: c.tokens, minUs: c.tokens, samples: 3 }, prefillSeconds: 1, contextTokens: c.tokens, flashAttention: request.flashAttention });
  }
}
`;

test('the llama.cpp part: finds the Vulkan device that is our adapter, survives an abort, and a new child takes the remaining cases', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'peers-child-'));
  try {
    const script = path.join(dir, 'child.cjs');
    writeFileSync(script, FAKE_CHILD);
    const shape = { qHeads: 32, kvHeads: 8, headDim: 128 };
    const logged: string[] = [];
    const run = await runLlamaCpp([{ id: 'gqa-8', tokens: 1024, ...shape }, { id: 'boom', tokens: 4096, ...shape }, { id: 'mqa', tokens: 16384, ...shape }], {
      script, adapter: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) llvmpipe-llvm-15-0-6-256-bits-', warmup: 1, samples: 3, maxCaseSeconds: 10, limitSeconds: 60, flashAttention: false, log: (l) => void logged.push(l),
    });
    assert.equal(run.vulkanIndex, 1);
    assert.equal(run.device, 'llvmpipe (LLVM 15.0.6, 256 bits)');
    assert.deepEqual(run.outcomes.map((o) => [o.id, o.step?.medianUs ?? null]), [['gqa-8', 1024], ['boom', null], ['mqa', 16384]]);
    assert.match(run.outcomes[1]!.error ?? '', /^llama\.cpp stopped: ggml\/src\/ggml-backend\.cpp:941: pre-allocated tensor \(cache_k_l0\).* \(killed by SIGABRT\)$/);
    assert.equal(run.notes.length, 1);
    const none = await runLlamaCpp([{ id: 'gqa-8', tokens: 1024, ...shape }], { script, adapter: 'AMD Radeon RX 7900 XTX', warmup: 1, samples: 3, maxCaseSeconds: 10, limitSeconds: 60, flashAttention: false, log: () => undefined });
    assert.equal(none.vulkanIndex, null);
    assert.match(none.outcomes[0]!.error ?? '', /none of llama\.cpp's Vulkan devices \(NVIDIA H200, llvmpipe \(LLVM 15\.0\.6, 256 bits\)\) is AMD Radeon RX 7900 XTX/);
    assert.equal(none.error, none.outcomes[0]!.error);
    // No cases (gpu:check's quick list): the device is found and opened, nothing measured, no error.
    const opened = await runLlamaCpp([], { script, adapter: 'NVIDIA: 580.159.04 nvidia-h200', warmup: 1, samples: 3, maxCaseSeconds: 10, limitSeconds: 60, flashAttention: true, log: () => undefined });
    assert.deepEqual([opened.vulkanIndex, opened.device, opened.outcomes, opened.error], [0, 'NVIDIA H200', [], null]);
    const missing = await runLlamaCpp([], { script, adapter: 'AMD Radeon RX 7900 XTX', warmup: 1, samples: 3, maxCaseSeconds: 10, limitSeconds: 60, flashAttention: true, log: () => undefined });
    assert.match(missing.error ?? '', /is AMD Radeon RX 7900 XTX$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
