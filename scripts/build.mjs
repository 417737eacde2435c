// Bundles the extension (CommonJS, `vscode` external), the CLI, the GPU worker (ESM, `webgpu`
// external: Dawn's native module ships per platform), the quality worker (ESM, its WebGPU backend
// split into dist/quality/ chunks so Dawn loads only when the GPU path is chosen), the report page (a browser IIFE and its CSS,
// inlined into the panel and the exported HTML by src/shared/reportHtml.ts) and, with --tests, the GPU tests.
// Usage: node scripts/build.mjs [--watch] [--production] [--tests]
import * as esbuild from 'esbuild';
import { readFileSync, readdirSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const tests = process.argv.includes('--tests');

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // jsonc-parser's UMD build hides its requires from bundlers; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  sourcemap: !production,
  define: { __VERSION__: JSON.stringify(pkg.version) },
  minify: production,
  logLevel: 'warning',
  loader: { '.wgsl': 'text' },
};

/** ESM bundles that load `webgpu` at run time (it is ESM and native). */
const esm = {
  ...common,
  format: 'esm',
  external: ['webgpu'],
  // Bundled CommonJS dependencies may call require(); give ESM output one.
  banner: { js: "import { createRequire as __alCreateRequire } from 'node:module'; const require = __alCreateRequire(import.meta.url);" },
};

/** The report page: no Node, no vscode; inlined under a CSP nonce, so no source map comment either. */
const webview = {
  bundle: true,
  platform: 'browser',
  target: ['chrome114'],
  minify: production,
  sourcemap: false,
  logLevel: 'warning',
  legalComments: 'eof',
};

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...esm, entryPoints: ['src/gpu/worker.ts'], outfile: 'dist/worker.mjs' },
  // The worker's `import('./gpu/index')` becomes a chunk of its own; chunks' names carry a hash, so the
  // folder is emptied first and the VSIX whitelists all of it.
  { ...esm, entryPoints: { qualityWorker: 'src/quality/worker.ts' }, outdir: 'dist', splitting: true, outExtension: { '.js': '.mjs' }, chunkNames: 'quality/[name]-[hash]' },
  { ...webview, entryPoints: ['webview/report/main.ts'], outfile: 'dist/webview/report.js', format: 'iife' },
  { ...webview, entryPoints: ['webview/report/style.css'], outfile: 'dist/webview/report.css' },
];

if (tests) {
  const entries = readdirSync('test/gpu').filter((f) => f.endsWith('.test.ts')).map((f) => `test/gpu/${f}`);
  // onnxruntime-web stays a package: it loads its WebAssembly from its own folder (the peer test and bench:peers).
  builds.push({ ...esm, external: ['webgpu', 'onnxruntime-web'], entryPoints: entries, outdir: 'out/test/gpu', outExtension: { '.js': '.mjs' } });
  builds.push({ ...esm, entryPoints: ['bench/kernels.ts'], outfile: 'out/bench/kernels.mjs' });
  builds.push({ ...esm, entryPoints: ['bench/quality.ts'], outfile: 'out/bench/quality.mjs' });
  // bench:peers and its llama.cpp child (node-llama-cpp loads its prebuilt binaries from its own folder).
  builds.push({ ...esm, external: ['webgpu', 'onnxruntime-web'], entryPoints: ['bench/peers.ts'], outfile: 'out/bench/peers.mjs' });
  builds.push({ ...esm, external: ['webgpu', 'node-llama-cpp'], entryPoints: ['bench/peers/llamaCppChild.ts'], outfile: 'out/bench/peersLlamaCpp.mjs' });
  // gpu:check and the GPU kit: the orchestrator and its adapter probe (a child process of its own).
  builds.push({ ...esm, entryPoints: ['bench/check/main.ts'], outfile: 'out/bench/gpuCheck.mjs' });
  builds.push({ ...esm, entryPoints: ['bench/check/adapters.ts'], outfile: 'out/bench/gpuAdapters.mjs' });
}

rmSync('dist/quality', { recursive: true, force: true });
rmSync('dist/qualityWorker.js', { force: true });
rmSync('dist/qualityWorker.js.map', { force: true });

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
