// The GPU kit's peers (issue #16 item 4): what `bench:peers` needs beside the kit's own app, staged in
// the repository's layout under <kit>/app and packed as a second archive,
// attention-lens-gpu-kit-peers.tar.br, which run-gpu-check.sh unpacks with the kit's own Node (Node's
// zlib has brotli; a bare host's tar and gzip do not, and brotli packs these binaries into about half
// of what gzip does — the difference between fitting the device tool's 64 MiB and not).
//   ONNX Runtime Web: package.json, the WebGPU bundle and the one wasm runtime it loads in Node (the
//     files a traced run of the ORT peer opened: ort.webgpu.bundle.min.mjs, ort-wasm-simd-threaded.asyncify.{mjs,wasm}).
//   node-llama-cpp: its package (dist, package.json, the small files of llama/ it reads — not the 35 MB
//     llama.cpp source bundle), every package it depends on as Node resolves them, and the Vulkan
//     prebuilt (@node-llama-cpp/linux-x64-vulkan) with the libraries llama-addon.node links and one CPU
//     backend (x64, the baseline: the peer's model does a few KiB of CPU work per step).
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** The files of onnxruntime-web that its WebGPU build opens in Node. */
const ORT_FILES = ['package.json', 'dist/ort.webgpu.bundle.min.mjs', 'dist/ort-wasm-simd-threaded.asyncify.mjs', 'dist/ort-wasm-simd-threaded.asyncify.wasm'];
/** What node-llama-cpp reads from its own llama/ folder when it only loads a prebuilt binary. */
const LLAMA_DIR_FILES = ['binariesGithubRelease.json', 'llama.cpp.info.json', 'package.json'];
const VULKAN_PREBUILT = '@node-llama-cpp/linux-x64-vulkan';
/** The prebuilt's folder: the addon, the libraries it needs (readelf NEEDED) and the baseline CPU backend. */
const VULKAN_BINS = 'bins/linux-x64-vulkan';
const VULKAN_BIN_FILES = ['llama-addon.node', 'libllama-common.so', 'libllama.vulkan.v0.4.0.so', 'libggml.vulkan.v0.4.0.so', 'libggml-base.so', 'libggml-vulkan.so', 'libggml-cpu-x64.so', '_nlcBuildMetadata.json'];

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/**
 * Package folders (relative to root) that `name` needs at run time, itself first, found the way Node
 * finds them: the requiring package's own node_modules, then each folder above it.
 */
export function dependencyClosure(root, name) {
  const found = [];
  const seen = new Set();
  const visit = (pkgName, fromDir) => {
    for (let dir = fromDir; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', pkgName);
      if (existsSync(path.join(candidate, 'package.json'))) {
        const rel = path.relative(root, candidate);
        if (seen.has(rel)) return;
        seen.add(rel);
        found.push(rel);
        const pkg = readJson(path.join(candidate, 'package.json'));
        for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, candidate);
        return;
      }
      if (dir === root || path.dirname(dir) === dir) throw new Error(`${pkgName} (needed by ${path.relative(root, fromDir) || 'the app'}) is not installed: run npm ci`);
    }
  };
  visit(name, root);
  return found;
}

/** Copies the peers into `app` (a staging folder of their own, packed apart from the kit) and returns what they are, for KIT.json. */
export function stagePeers(root, app) {
  const copy = (rel, filter = () => true) => {
    const from = path.join(root, rel);
    if (!existsSync(from)) throw new Error(`${rel} not found: run npm ci`);
    cpSync(from, path.join(app, rel), { recursive: true, filter: (src) => !src.endsWith('.map') && !src.endsWith('.d.ts') && filter(src) });
  };
  const ort = 'node_modules/onnxruntime-web';
  for (const f of ORT_FILES) copy(`${ort}/${f}`);

  const nlc = 'node_modules/node-llama-cpp';
  const closure = dependencyClosure(root, 'node-llama-cpp');
  for (const dir of closure) {
    if (dir === nlc) continue;
    // Each package without its own node_modules: what is nested there and needed is in the closure.
    copy(dir, (src) => !path.relative(path.join(root, dir), src).split(path.sep).includes('node_modules'));
  }
  for (const f of ['package.json', 'LICENSE', 'dist']) copy(`${nlc}/${f}`);
  for (const f of LLAMA_DIR_FILES) copy(`${nlc}/llama/${f}`);
  const prebuilt = `node_modules/${VULKAN_PREBUILT}`;
  for (const f of ['package.json', 'LICENSE', 'dist']) copy(`${prebuilt}/${f}`);
  for (const f of VULKAN_BIN_FILES) copy(`${prebuilt}/${VULKAN_BINS}/${f}`);
  // Its outputs: the peers benchmark and the llama.cpp child (bundles; their packages stay external).
  for (const f of ['out/bench/peers.mjs', 'out/bench/peersLlamaCpp.mjs']) copy(f);

  const release = readJson(path.join(root, nlc, 'llama/binariesGithubRelease.json')).release;
  return {
    onnxruntimeWeb: readJson(path.join(root, ort, 'package.json')).version,
    nodeLlamaCpp: readJson(path.join(root, nlc, 'package.json')).version,
    llamaCppRelease: release,
    vulkanPrebuilt: `${VULKAN_PREBUILT}@${readJson(path.join(root, prebuilt, 'package.json')).version} (${VULKAN_BIN_FILES.filter((f) => f.endsWith('.so') || f.endsWith('.node')).join(', ')})`,
    packages: closure.length,
    unpackedBytes: folderBytes(app),
  };
}

function folderBytes(app) {
  let total = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += statSync(p).size;
    }
  };
  walk(app);
  return total;
}
