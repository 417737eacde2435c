/**
 * `gpu:check`'s first part, in a process of its own (a driver that hangs or crashes on open costs this
 * part only): every adapter Dawn offers and the one a profile would open, as one JSON line on stdout.
 */
import { readFileSync } from 'node:fs';
import { chosenAdapter, listAdapters } from '../../src/gpu/host/adapters';
import { loadedVulkanLibraries } from '../../src/gpu/host/adapterText';

try {
  const adapters = await listAdapters();
  const chosen = await chosenAdapter();
  let libraries: ReturnType<typeof loadedVulkanLibraries> | null = null;
  try {
    libraries = loadedVulkanLibraries(readFileSync('/proc/self/maps', 'utf8'));
  } catch {
    /* not Linux */
  }
  process.stdout.write(`${JSON.stringify({ adapters, chosen, libraries })}\n`);
  process.exit(0);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ adapters: [], chosen: null, error: e instanceof Error ? e.message : String(e) })}\n`);
  process.exit(1);
}
