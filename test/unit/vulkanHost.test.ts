/**
 * The host probe behind gpu:check's one-line finding, on fake hosts built in a temporary folder: an
 * NVIDIA container whose ICD sits where the loader does not look, a driver without any ICD (in a
 * container, and on a plain host), the driver's library without a manifest, lavapipe only, nothing at
 * all, a user's own VK_DRIVER_FILES, a broken manifest. Each gives the right line and never throws.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chooseLoader, findingLine, missingLibraries, probeHost, type ProbeOptions } from '../../src/gpu/host/vulkanHost';
import { describeAdapters, isSoftwareAdapter, loadedVulkanLibraries, parseAdapterList, resolveAdapter } from '../../src/gpu/host/adapterText';

/** /proc/driver/nvidia/version as the 550 proprietary and the 555 open kernel modules print it. */
const PROC_550 = 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\nGCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n';
const PROC_OPEN_555 = 'NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  555.42.02  Release Build  (dvs-builder@U16-I3-B03-4-3)  Tue May 14 22:42:15 UTC 2024\n';
/** The manifest NVIDIA's driver installs (library named bare, resolved by the linker). */
const NVIDIA_ICD = JSON.stringify({ file_format_version: '1.0.1', ICD: { library_path: 'libGLX_nvidia.so.0', api_version: '1.3.277' } });
const LVP_ICD = JSON.stringify({ ICD: { api_version: '1.4.305', library_path: 'libvulkan_lvp.so' }, file_format_version: '1.0.1' });

function fakeHost(files: Record<string, string>): { root: string; done: () => void } {
  const root = mkdtempSync(path.join(tmpdir(), 'attention-lens-host-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(path.join(root, path.dirname(p)), { recursive: true });
    writeFileSync(path.join(root, p), text);
  }
  return { root, done: () => rmSync(root, { recursive: true, force: true }) };
}

function line(files: Record<string, string>, adapter: Parameters<typeof findingLine>[3], env: ProbeOptions['env'] = {}) {
  const h = fakeHost(files);
  try {
    const findings = probeHost({ root: h.root, env, runCommand: () => undefined });
    const choice = chooseLoader(findings, 'auto', '/scratch', h.root);
    return { findings, choice, line: findingLine(findings, choice, "the kit's libvulkan1 1.3.239.0-1 (Debian 12)", adapter), root: h.root };
  } finally {
    h.done();
  }
}

test('NVIDIA container: the ICD under /usr/local/nvidia (not searched by the loader) is found and named to the loader', () => {
  const r = line(
    {
      '/proc/driver/nvidia/version': PROC_550,
      '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD,
      '/usr/local/nvidia/lib64/libGLX_nvidia.so.0': '',
      '/.dockerenv': '',
    },
    { name: 'NVIDIA H200', backend: 'vulkan', software: false },
  );
  assert.deepEqual(r.findings.nvidiaDriver, { version: '550.54.15', source: '/proc/driver/nvidia/version' });
  assert.equal(r.findings.container, 'docker');
  const icd = r.findings.icds.find((i) => i.kind === 'nvidia')!;
  assert.equal(icd.resolvedLibrary, '/usr/local/nvidia/lib64/libGLX_nvidia.so.0');
  assert.equal(icd.apiVersion, '1.3.277');
  assert.equal(r.choice.env.VK_DRIVER_FILES, path.join(r.root, '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json'));
  assert.equal(r.choice.env.VK_ICD_FILENAMES, r.choice.env.VK_DRIVER_FILES);
  assert.deepEqual(r.choice.libraryDirs, ['/usr/local/nvidia/lib64']);
  assert.equal(
    r.line,
    "gpu-check: NVIDIA driver 550.54.15 · ICD /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json → libGLX_nvidia.so.0 · loader the kit's libvulkan1 1.3.239.0-1 (Debian 12) · adapter NVIDIA H200 (vulkan)",
  );
});

test('the open kernel module\'s version line is read too', () => {
  const r = line({ '/proc/driver/nvidia/version': PROC_OPEN_555, '/usr/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD, '/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0': '' }, { name: 'NVIDIA H100 80GB HBM3', backend: 'vulkan', software: false });
  assert.equal(r.findings.nvidiaDriver?.version, '555.42.02');
  assert.deepEqual(r.choice.libraryDirs, [], 'a library in a linker folder needs no LD_LIBRARY_PATH');
  assert.match(r.line, /^gpu-check: NVIDIA driver 555\.42\.02 · ICD \/usr\/share\/vulkan\/icd\.d\/nvidia_icd\.json → libGLX_nvidia\.so\.0 · /);
});

test('a driver but no ICD inside a container: the line says so and names the graphics capability', () => {
  const r = line({ '/proc/driver/nvidia/version': PROC_550, '/.dockerenv': '' }, { error: 'Dawn found no adapter' }, { NVIDIA_DRIVER_CAPABILITIES: 'compute,utility' });
  assert.deepEqual(r.choice.icds, []);
  assert.equal(r.choice.env.VK_DRIVER_FILES, undefined);
  assert.match(r.line, /^gpu-check: NVIDIA driver 550\.54\.15 · no Vulkan ICD manifest found · loader .* · no adapter: Dawn found no adapter — an NVIDIA GPU is here but its Vulkan ICD is not: inside a docker container/);
  assert.match(r.line, /NVIDIA_DRIVER_CAPABILITIES is compute,utility\); start the container with NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics/);
  assert.doesNotMatch(r.line, /\n/);
});

test('a driver but no ICD on a plain host: the driver\'s Vulkan package for its major version', () => {
  const r = line({ '/proc/driver/nvidia/version': PROC_550 }, { error: 'Dawn found no adapter' });
  assert.equal(r.findings.container, null);
  assert.match(r.line, /no Vulkan ICD manifest found .* — an NVIDIA GPU is here but its Vulkan ICD is not: install the driver's Vulkan\/GL part \(Ubuntu\/Debian: apt-get install libnvidia-gl-550;/);
});

test("the driver's ICD library without a manifest: one is written in the scratch folder and handed to the loader", () => {
  const r = line({ '/proc/driver/nvidia/version': PROC_550, '/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0': '' }, { name: 'NVIDIA H200', backend: 'vulkan', software: false });
  assert.equal(r.findings.nvidiaLibrary, '/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0');
  assert.equal(r.choice.generated?.path, '/scratch/nvidia_icd.json');
  assert.deepEqual((JSON.parse(r.choice.generated.json) as { ICD: unknown }).ICD, { library_path: '/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0', api_version: '1.3.0' });
  assert.equal(r.choice.env.VK_DRIVER_FILES, '/scratch/nvidia_icd.json');
  assert.match(r.line, /ICD \/scratch\/nvidia_icd\.json → \/usr\/lib\/x86_64-linux-gnu\/libGLX_nvidia\.so\.0 · /);
  assert.match(r.choice.notes.join(' '), /no manifest names the NVIDIA driver's libGLX_nvidia\.so\.0: wrote one/);
});

test('no /proc/driver/nvidia, lavapipe only: a software adapter, said to be a CPU', () => {
  const r = line({ '/usr/share/vulkan/icd.d/lvp_icd.json': LVP_ICD, '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so': '' }, { name: 'llvmpipe: Mesa 25.0.7', backend: 'vulkan', software: true });
  assert.equal(r.findings.nvidiaDriver, null);
  assert.equal(r.findings.icds[0]?.kind, 'software');
  assert.match(r.line, /^gpu-check: no NVIDIA driver \(\/proc\/driver\/nvidia\/version absent\) · no NVIDIA ICD; 1 other ICD \(lvp_icd\.json\), software: \/usr\/share\/vulkan\/icd\.d\/lvp_icd\.json → libvulkan_lvp\.so · /);
  assert.match(r.line, /adapter llvmpipe: Mesa 25\.0\.7 \(vulkan, a software adapter: this measures a CPU, not a GPU\) — no hardware GPU found/);
});

test('nothing at all: no driver, no ICD, no adapter — a line with what to install, not a stack trace', () => {
  const r = line({}, { error: 'Dawn found no adapter' });
  assert.equal(r.line, "gpu-check: no NVIDIA driver (/proc/driver/nvidia/version absent) · no Vulkan ICD manifest found · loader the kit's libvulkan1 1.3.239.0-1 (Debian 12) · no adapter: Dawn found no adapter — no GPU driver found: install your GPU's Vulkan driver, or Mesa 23+ (lavapipe) to run on the CPU");
});

test("a user's own VK_DRIVER_FILES is kept as it is, and named", () => {
  const r = line({ '/opt/drivers/nvidia_icd.json': NVIDIA_ICD, '/usr/share/vulkan/icd.d/lvp_icd.json': LVP_ICD }, { name: 'NVIDIA H200', backend: 'vulkan', software: false }, { VK_DRIVER_FILES: '/opt/drivers/nvidia_icd.json' });
  assert.deepEqual(r.findings.envIcd, { variable: 'VK_DRIVER_FILES', value: '/opt/drivers/nvidia_icd.json' });
  assert.deepEqual(r.choice.env, {}, 'nothing overridden');
  assert.deepEqual(r.choice.icds.map((i) => i.path), ['/opt/drivers/nvidia_icd.json']);
  assert.match(r.choice.notes[0]!, /VK_DRIVER_FILES is set/);
});

test('a broken manifest is reported and left out, never thrown', () => {
  const r = line({ '/etc/vulkan/icd.d/broken.json': '{ "ICD": ', '/etc/vulkan/icd.d/nolib.json': '{"ICD":{}}', '/usr/share/vulkan/icd.d/lvp_icd.json': LVP_ICD }, { name: 'llvmpipe', backend: 'vulkan', software: true });
  assert.deepEqual(r.findings.icds.filter((i) => i.error).map((i) => `${path.basename(i.path)}: ${i.error}`), ['broken.json: is not JSON', 'nolib.json: names no ICD.library_path']);
  assert.deepEqual(r.choice.icds.map((i) => path.basename(i.path)), ['lvp_icd.json']);
});

test('an NVIDIA ICD whose library the linker cannot find is said so, with the fix', () => {
  const r = line({ '/proc/driver/nvidia/version': PROC_550, '/usr/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD }, { error: 'Dawn found no adapter' });
  assert.match(r.line, /ICD \/usr\/share\/vulkan\/icd\.d\/nvidia_icd\.json → libGLX_nvidia\.so\.0 \(not in the linker folders\)/);
  assert.match(r.line, /the NVIDIA ICD's library libGLX_nvidia\.so\.0 is in none of \d+ linker folders: add its folder to LD_LIBRARY_PATH/);
});

test("NVIDIA's ICD without glvnd's libEGL.so.1 (opened at run time, never in ldd): named, with the package", () => {
  // The H200 container host of 2026-12-04: libGLdispatch and libGLX there, libEGL.so.1 not; Dawn found no adapter.
  const host = {
    '/proc/driver/nvidia/version': PROC_550,
    '/usr/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD,
    '/usr/local/nvidia/lib64/libGLX_nvidia.so.0': '',
    '/usr/lib/x86_64-linux-gnu/libGLdispatch.so.0': '',
  };
  const r = line(host, { error: 'Dawn found no adapter' });
  const icd = r.choice.icds.find((i) => i.kind === 'nvidia')!;
  assert.deepEqual(icd.missingLibraries, ['libEGL.so.1']);
  assert.match(r.line, /needs libEGL\.so\.1, which the linker cannot find: install them \(Debian\/Ubuntu: apt-get install libegl1; Fedora\/RHEL: dnf install libglvnd-egl\)/);
  // With libEGL.so.1 in a linker folder nothing is missing.
  const ok = line({ ...host, '/usr/lib/x86_64-linux-gnu/libEGL.so.1': '' }, { name: 'NVIDIA H200', backend: 'vulkan', software: false });
  assert.equal(ok.choice.icds.find((i) => i.kind === 'nvidia')!.missingLibraries, undefined);
  // A software ICD is never asked for them.
  const lvp = line({ '/usr/share/vulkan/icd.d/lvp_icd.json': LVP_ICD, '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so': '' }, { name: 'llvmpipe', backend: 'vulkan', software: true });
  assert.equal(lvp.choice.icds[0]!.missingLibraries, undefined);
});

test('two manifests naming one driver library (the driver\'s and the container toolkit\'s): handed to the loader once', () => {
  // The H200 host of 2026-12-04 had both, and Dawn listed the GPU twice.
  const r = line({ '/proc/driver/nvidia/version': PROC_550, '/usr/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD, '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json': NVIDIA_ICD, '/usr/local/nvidia/lib64/libGLX_nvidia.so.0': '' }, { name: 'NVIDIA H200', backend: 'vulkan', software: false });
  assert.equal(r.findings.icds.filter((i) => i.kind === 'nvidia').length, 2, 'both found');
  assert.deepEqual(r.choice.icds.map((i) => i.path), ['/usr/share/vulkan/icd.d/nvidia_icd.json']);
});

test("ldd's \"not found\" lines → the missing libraries", () => {
  const ldd = '\tlinux-vdso.so.1 (0x00007ffd)\n\tlibGLdispatch.so.0 => not found\n\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f)\n\tlibX11.so.6 => not found\n';
  assert.deepEqual(missingLibraries(ldd), ['libGLdispatch.so.0', 'libX11.so.6']);
  assert.deepEqual(missingLibraries(undefined), []);
});

test("Dawn's adapter list (its refusal of an unknown adapter name) is parsed", () => {
  // As dawn.node 0.6.2 prints it (captured on lavapipe; the NVIDIA line is the same format).
  const message = "Error: no suitable backends found\nAvailable adapters:\n * backend: 'vulkan', name: 'llvmpipe (LLVM 15.0.6, 256 bits)'\n * backend: 'vulkan', name: 'NVIDIA H200'\n";
  assert.deepEqual(parseAdapterList(message), [
    { backend: 'vulkan', name: 'llvmpipe (LLVM 15.0.6, 256 bits)' },
    { backend: 'vulkan', name: 'NVIDIA H200' },
  ]);
  assert.deepEqual(parseAdapterList('Error: something else'), []);
});

test('--adapter resolves an index or a case-insensitive part of a name; ambiguity and misses are refused with the list', () => {
  const list = [
    { backend: 'vulkan', name: 'NVIDIA H200' },
    { backend: 'vulkan', name: 'NVIDIA H200' },
    { backend: 'vulkan', name: 'AMD Radeon Graphics (RADV GFX1103_R1)' },
    { backend: 'vulkan', name: 'llvmpipe (LLVM 15.0.6, 256 bits)' },
  ];
  assert.deepEqual(resolveAdapter('2', list), { entry: list[2], index: 2 });
  assert.deepEqual(resolveAdapter(' radeon ', list), { entry: list[2], index: 2 });
  // One GPU reached through two ICDs is listed twice: the first.
  assert.deepEqual(resolveAdapter('h200', list), { entry: list[0], index: 0 });
  const ambiguous = resolveAdapter('a', list);
  assert.ok('error' in ambiguous && /"a" names 3 adapters: 0: NVIDIA H200 \(vulkan\), 1: NVIDIA H200 \(vulkan\), 2: AMD Radeon/.test(ambiguous.error), JSON.stringify(ambiguous));
  const missing = resolveAdapter('9', list);
  assert.ok('error' in missing && /^no adapter 9 \(adapters here: 0: NVIDIA H200 \(vulkan\), 1: /.test(missing.error));
  const none = resolveAdapter('nvidia', []);
  assert.ok('error' in none && /Dawn found no adapter here/.test(none.error));
  assert.ok('error' in resolveAdapter('  ', list));
  assert.equal(describeAdapters(list.slice(2)), '0: AMD Radeon Graphics (RADV GFX1103_R1) (vulkan), 1: llvmpipe (LLVM 15.0.6, 256 bits) (vulkan)');
});

test('software adapters are told apart from GPUs', () => {
  assert.equal(isSoftwareAdapter({ vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25.0.7', isFallbackAdapter: true }), true);
  assert.equal(isSoftwareAdapter({ vendor: 'google', description: 'SwiftShader Device (Subzero)' }), true);
  assert.equal(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200', isFallbackAdapter: false }), false);
});

test('the mapped libvulkan and driver libraries are read from /proc/self/maps', () => {
  const maps = [
    '7f00-7f10 r--p 00000000 08:01 123 /tmp/attention-lens-gpu-kit.Ab12/attention-lens-gpu-kit/lib/vulkan/libvulkan.so.1.3.239',
    '7f10-7f20 r-xp 00010000 08:01 123 /tmp/attention-lens-gpu-kit.Ab12/attention-lens-gpu-kit/lib/vulkan/libvulkan.so.1.3.239',
    '7f30-7f40 r-xp 00000000 08:01 456 /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.550.54.15',
    '7f50-7f60 r-xp 00000000 08:01 789 /usr/lib/x86_64-linux-gnu/libc.so.6',
    '7ffd-7ffe rw-p 00000000 00:00 0 [stack]',
  ].join('\n');
  assert.deepEqual(loadedVulkanLibraries(maps), {
    loader: ['/tmp/attention-lens-gpu-kit.Ab12/attention-lens-gpu-kit/lib/vulkan/libvulkan.so.1.3.239'],
    drivers: ['/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.550.54.15'],
  });
});
