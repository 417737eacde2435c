/**
 * Which subgroup-matrix configuration mlaMatrix.wgsl runs on: f16 inputs with f32 results first, sides
 * that tile its 16 heads and 8–32-token tiles, one subgroup size — else the reason it runs tile2.wgsl.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickMatrixConfig } from '../../src/gpu/matrices';
import type { SubgroupMatrixConfig } from '../../src/gpu/host/adapters';

const config = (componentType: string, resultComponentType: string, M: number, N: number, K: number): SubgroupMatrixConfig => ({ componentType, resultComponentType, M, N, K });

test('NVIDIA-like lists: f16 × f16 → f32 at 16 × 16 × 16, never the f16-result or integer shapes', () => {
  const configs = [config('f16', 'f16', 16, 16, 16), config('f16', 'f32', 16, 16, 16), config('i8', 'i32', 16, 16, 32), config('f16', 'f32', 16, 8, 16)];
  assert.deepEqual(pickMatrixConfig({ subgroupMatrixConfigs: configs, subgroupMinSize: 32, subgroupMaxSize: 32 }), { config: { m: 16, n: 16, k: 16, component: 'f16', subgroupSize: 32, emulated: false } });
});

test("Apple-like lists: the f16 8 × 8 × 8 shape before the f32 one; the f32 one alone when it is all there is", () => {
  const both = [config('f32', 'f32', 8, 8, 8), config('f16', 'f32', 8, 8, 8)];
  assert.deepEqual(pickMatrixConfig({ subgroupMatrixConfigs: both, subgroupMinSize: 32, subgroupMaxSize: 32 }), { config: { m: 8, n: 8, k: 8, component: 'f16', subgroupSize: 32, emulated: false } });
  assert.deepEqual(pickMatrixConfig({ subgroupMatrixConfigs: [both[0]!], subgroupMinSize: 32, subgroupMaxSize: 32 }), { config: { m: 8, n: 8, k: 8, component: 'f32', subgroupSize: 32, emulated: false } });
});

test('no matrices, a varying subgroup size, or no usable shape: the reason, naming what the adapter offered', () => {
  assert.match((pickMatrixConfig({ subgroupMatrixConfigs: [], subgroupMinSize: 8, subgroupMaxSize: 8 }) as { reason: string }).reason, /no subgroup matrices/);
  assert.match((pickMatrixConfig({ subgroupMatrixConfigs: [config('f16', 'f32', 16, 16, 16)], subgroupMinSize: 32, subgroupMaxSize: 64 }) as { reason: string }).reason, /subgroup size varies \(32–64\)/);
  const odd = pickMatrixConfig({ subgroupMatrixConfigs: [config('f16', 'f16', 16, 16, 16), config('u8', 'u32', 8, 8, 8)], subgroupMinSize: 32, subgroupMaxSize: 32 }) as { reason: string };
  assert.match(odd.reason, /f16 × f16 → f16 at 16 × 16 × 16, u8 × u8 → u32 at 8 × 8 × 8/);
});
