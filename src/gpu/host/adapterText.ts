/**
 * What Dawn and Linux say about adapters, as text, parsed: Dawn's list of adapters, whether an adapter
 * is a software one, and which Vulkan libraries a process has mapped. Pure, so unit tests read it.
 */

/** One shape and type pair Dawn's subgroup matrices multiply (adapter.info.subgroupMatrixConfigs). */
export interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

/** "f16 × f16 → f32 at 16 × 16 × 16": how every surface names a subgroup-matrix configuration. */
export function describeMatrixConfig(c: SubgroupMatrixConfig): string {
  return `${c.componentType} × ${c.componentType} → ${c.resultComponentType} at ${c.M} × ${c.N} × ${c.K}`;
}

export interface AdapterEntry {
  backend: string;
  name: string;
}

/** " * backend: 'vulkan', name: 'NVIDIA H200'" lines of Dawn's refusal → entries. */
export function parseAdapterList(message: string): AdapterEntry[] {
  const out: AdapterEntry[] = [];
  for (const m of message.matchAll(/^\s*\*\s*backend:\s*'([^']*)',\s*name:\s*'(.*)'\s*$/gm)) out.push({ backend: m[1]!, name: m[2]! });
  return out;
}

/**
 * `--adapter` / `attentionLens.profile.adapter` → one of Dawn's adapters: an index into its list (as
 * `--list-adapters` numbers it) or a case-insensitive part of a name. A part that names two different
 * adapters is refused with both; the same name twice (one GPU reached through two ICDs) takes the first.
 */
export function resolveAdapter(spec: string, list: readonly AdapterEntry[]): { entry: AdapterEntry; index: number } | { error: string } {
  const wanted = spec.trim();
  const known = list.length ? `adapters here: ${describeAdapters(list)}` : 'Dawn found no adapter here';
  if (wanted === '') return { error: `an empty adapter name: give an index or a part of a name (${known})` };
  if (/^\d+$/.test(wanted)) {
    const index = Number(wanted);
    const entry = list[index];
    return entry ? { entry, index } : { error: `no adapter ${index} (${known})` };
  }
  const matches = list.map((entry, index) => ({ entry, index })).filter((m) => m.entry.name.toLowerCase().includes(wanted.toLowerCase()));
  if (matches.length === 0) return { error: `no adapter's name contains "${wanted}" (${known})` };
  const names = new Set(matches.map((m) => `${m.entry.backend}\u0000${m.entry.name}`));
  if (names.size > 1) return { error: `"${wanted}" names ${matches.length} adapters: ${matches.map((m) => `${m.index}: ${m.entry.name} (${m.entry.backend})`).join(', ')}; give the index or more of the name` };
  return matches[0]!;
}

/** "0: NVIDIA H200 (vulkan), 1: llvmpipe (LLVM 15.0.6, 256 bits) (vulkan)". */
export function describeAdapters(list: readonly AdapterEntry[]): string {
  return list.map((a, i) => `${i}: ${a.name} (${a.backend})`).join(', ');
}

export function isSoftwareAdapter(info: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean }): boolean {
  return info.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|warp|software/i.test(`${info.vendor} ${info.architecture} ${info.description} ${info.device}`);
}

/**
 * The Vulkan loader and ICD libraries this process has mapped (Linux: /proc/self/maps), once an adapter
 * was requested: which libvulkan really served the request — the kit's or the system's — and which driver.
 */
export function loadedVulkanLibraries(maps: string): { loader: string[]; drivers: string[] } {
  const paths = [...new Set(maps.split('\n').map((l) => l.match(/\s(\/\S+\.so[^\s]*)$/)?.[1]).filter((p): p is string => p !== undefined))];
  return {
    loader: paths.filter((p) => /\/libvulkan\.so/.test(p)),
    drivers: paths.filter((p) => /libvulkan_|libGLX_nvidia|libEGL_nvidia|libnvidia-glcore|vk_swiftshader|amdvlk/.test(p)),
  };
}
