/**
 * What Dawn and Linux say about adapters, as text, parsed: Dawn's list of adapters, whether an adapter
 * is a software one, and which Vulkan libraries a process has mapped. Pure, so unit tests read it.
 */

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
