/**
 * Every adapter Dawn offers, and the one a profile would open. Dawn's Node bindings have no
 * enumeration call, but asked for an adapter by a name that matches none (`adapter=` flag) they
 * refuse with the list of every adapter they found — on every backend — which is parsed here.
 */
import { create, globals } from 'webgpu';
import { isSoftwareAdapter, parseAdapterList, resolveAdapter, type AdapterEntry, type SubgroupMatrixConfig } from './adapterText';

export type { AdapterEntry, SubgroupMatrixConfig } from './adapterText';

export interface ChosenAdapter {
  /** Description and device, as openGpu names it. */
  name: string;
  vendor: string;
  architecture: string;
  /** WebGPU's fallback flag: a software adapter (lavapipe, SwiftShader, WARP). */
  isFallbackAdapter: boolean;
  /** What the result will call it: software adapters measure a CPU. */
  software: boolean;
  features: string[];
  /**
   * Features Dawn offers on this adapter only with its unsafe APIs allowed (`allow_unsafe_apis`), such
   * as `chromium-experimental-subgroup-matrix` (Vulkan cooperative matrix, Metal simdgroup matrix): what
   * an experimental kernel path could use here. Listed, never requested by the profiler.
   */
  experimentalFeatures: string[];
  /**
   * With `chromium-experimental-subgroup-matrix` among them: the matrix shapes and types the adapter
   * multiplies (Dawn's adapter.info.subgroupMatrixConfigs, e.g. f16 × f16 → f32 at 16 × 16 × 16),
   * which a subgroup-matrix kernel must be written for. Empty otherwise.
   */
  subgroupMatrixConfigs: SubgroupMatrixConfig[];
  limits: Record<string, number>;
  subgroupMinSize: number | null;
  subgroupMaxSize: number | null;
}


/** Dawn's configs as plain objects (its own are host objects JSON cannot copy). */
export function matrixConfigs(info: unknown): SubgroupMatrixConfig[] {
  const list = (info as { subgroupMatrixConfigs?: unknown } | undefined)?.subgroupMatrixConfigs;
  if (!list || typeof (list as Iterable<unknown>)[Symbol.iterator] !== 'function') return [];
  return [...(list as Iterable<Record<string, unknown>>)].map((c) => ({
    componentType: String(c.componentType), resultComponentType: String(c.resultComponentType), M: Number(c.M), N: Number(c.N), K: Number(c.K),
  }));
}

/** A name no adapter has: Dawn then lists the ones it found. */
const NO_SUCH_ADAPTER = 'attention-lens-list-adapters';

export async function listAdapters(flags: string[] = []): Promise<AdapterEntry[]> {
  Object.assign(globalThis, globals);
  try {
    const gpu = create([...flags, `adapter=${NO_SUCH_ADAPTER}`]);
    await gpu.requestAdapter();
  } catch (e) {
    return parseAdapterList(e instanceof Error ? e.message : String(e));
  }
  return [];
}

/** The adapter openGpu would take (high-performance preference), or null when there is none. */
export async function chosenAdapter(flags: string[] = []): Promise<ChosenAdapter | null> {
  Object.assign(globalThis, globals);
  const gpu = create([...flags, ...(await adapterFlagsFromEnv()).flags]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean; subgroupMinSize?: number; subgroupMaxSize?: number };
  const name = [info.description, info.device].filter((s) => s && s.length > 0).join(' ') || [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const l = adapter.limits;
  const features = [...adapter.features].map(String).sort();
  const unsafe = await create([...flags, ...(await adapterFlagsFromEnv()).flags, 'enable-dawn-features=allow_unsafe_apis']).requestAdapter({ powerPreference: 'high-performance' });
  const experimentalFeatures = unsafe ? [...unsafe.features].map(String).filter((f) => !features.includes(f)).sort() : [];
  return {
    name,
    vendor: info.vendor,
    architecture: info.architecture,
    isFallbackAdapter: info.isFallbackAdapter === true,
    software: isSoftwareAdapter(info),
    features,
    experimentalFeatures,
    subgroupMatrixConfigs: unsafe && experimentalFeatures.includes('chromium-experimental-subgroup-matrix') ? matrixConfigs(unsafe.info) : [],
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
    subgroupMinSize: info.subgroupMinSize ?? null,
    subgroupMaxSize: info.subgroupMaxSize ?? null,
  };
}


/**
 * `ATTENTION_LENS_ADAPTER` (set by gpu:check --adapter for every part it runs): an index or a part of a
 * name, resolved against Dawn's list → Dawn's flags for that adapter; none when unset.
 */
export async function adapterFlagsFromEnv(env: Record<string, string | undefined> = process.env): Promise<{ flags: string[]; entry: AdapterEntry | null }> {
  const spec = env.ATTENTION_LENS_ADAPTER?.trim();
  if (!spec) return { flags: [], entry: null };
  const chosen = resolveAdapter(spec, await listAdapters());
  if ('error' in chosen) throw new Error(`ATTENTION_LENS_ADAPTER "${spec}": ${chosen.error}`);
  return { flags: [`adapter=${chosen.entry.name}`, `backend=${chosen.entry.backend}`], entry: chosen.entry };
}
