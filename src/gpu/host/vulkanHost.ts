/**
 * What a Linux host offers Dawn's Vulkan backend, read from files alone (no Dawn, no Vulkan call): the
 * NVIDIA kernel driver (/proc/driver/nvidia/version), the Vulkan ICD manifests in the folders the loader
 * searches and in the ones it does not (an NVIDIA container's /usr/local/nvidia/…), the driver's own ICD
 * library when no manifest names it, the libraries that library cannot find, and whether this is a
 * container. `gpu:check` and its kit say their one-line finding from this, and point the loader at the
 * chosen ICD (VK_DRIVER_FILES) for the processes that open the GPU.
 *
 * Every path is read under `root` (default "/"), and the environment and commands are injectable, so a
 * test builds a fake host in a temporary folder. Paths in the results are the host's own ("/usr/…").
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export type IcdKind = 'nvidia' | 'software' | 'other';

export interface IcdManifest {
  /** The manifest's path on the host. */
  path: string;
  /** `ICD.library_path` as written ("libGLX_nvidia.so.0", an absolute path, or relative to the manifest). */
  library: string | null;
  /** Where that library is on the host, or null when it is in none of the folders searched. */
  resolvedLibrary: string | null;
  apiVersion: string | null;
  kind: IcdKind;
  /** How it was found: named by VK_DRIVER_FILES / VK_ICD_FILENAMES, in a searched folder, or written by us. */
  source: 'env' | 'search' | 'generated';
  /** Why the manifest cannot be used (unreadable, not JSON, no library_path). */
  error?: string;
  /** Libraries the ICD library needs that the linker cannot find (`ldd`'s "not found", and what NVIDIA's opens at run time). */
  missingLibraries?: string[];
}

export interface HostFindings {
  /** The NVIDIA kernel driver's version, and the file or command it was read from. */
  nvidiaDriver: { version: string; source: string } | null;
  /** `nvidia-smi -L` lines, when the command exists. */
  nvidiaGpus: string[];
  /** docker | podman | kubernetes | container, or null on a plain host. */
  container: string | null;
  /** NVIDIA_DRIVER_CAPABILITIES as the container runtime saw it (Vulkan needs `graphics`). */
  driverCapabilities: string | null;
  /** An ICD list the user set (VK_DRIVER_FILES or the older VK_ICD_FILENAMES): respected as it is. */
  envIcd: { variable: string; value: string } | null;
  searchedDirs: string[];
  icds: IcdManifest[];
  /** The NVIDIA driver's Vulkan ICD library (libGLX_nvidia.so.0 or libEGL_nvidia.so.0) in the library folders. */
  nvidiaLibrary: string | null;
  libDirs: string[];
}

export interface ProbeOptions {
  /** Folder that stands for "/" (tests). */
  root?: string;
  env?: Record<string, string | undefined>;
  /** Runs a command and returns its stdout, or undefined when it is missing or fails. */
  runCommand?: (file: string, args: string[]) => string | undefined;
}

/** Where the Vulkan loader looks for ICD manifests on Linux when no variable overrides it. */
function loaderDirs(env: Record<string, string | undefined>): string[] {
  const config = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':').filter(Boolean);
  const data = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter(Boolean);
  const home = env.HOME ? [path.posix.join(env.HOME, '.local/share')] : [];
  return [...config.map((d) => `${d}/vulkan/icd.d`), '/etc/vulkan/icd.d', ...data.map((d) => `${d}/vulkan/icd.d`), ...home.map((d) => `${d}/vulkan/icd.d`)];
}

/**
 * Folders the loader does not search where NVIDIA's files still turn up: the NVIDIA container toolkit
 * mounts the driver under /usr/local/nvidia, and some images keep the manifest beside the driver.
 */
export const NVIDIA_ICD_DIRS = ['/usr/local/nvidia/share/vulkan/icd.d', '/usr/local/nvidia/etc/vulkan/icd.d', '/usr/local/nvidia/vulkan/icd.d', '/usr/share/nvidia/vulkan/icd.d'];

const STANDARD_LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib'];
const NVIDIA_LIB_DIRS = ['/usr/local/nvidia/lib64', '/usr/local/nvidia/lib', '/usr/lib/x86_64-linux-gnu/nvidia/current', '/usr/lib64/nvidia', '/usr/lib/nvidia'];
/** The NVIDIA driver's Vulkan entry points, in the order its own manifests name them. */
const NVIDIA_ICD_LIBRARIES = ['libGLX_nvidia.so.0', 'libEGL_nvidia.so.0'];
/**
 * What NVIDIA's ICD opens at run time (dlopen, so `ldd` never names it), with the Debian/Ubuntu package
 * that holds each. Seen on an H200 container host (driver 580.159.04, 2026-12-04): with glvnd's
 * libGLdispatch and libGLX but no libEGL.so.1, the loader said "Could not get 'vkCreateInstance' via
 * 'vk_icdGetInstanceProcAddr' for ICD libGLX_nvidia.so.0" and Dawn found no adapter; with libEGL.so.1
 * the H200 opened.
 */
export const NVIDIA_RUNTIME_LIBRARIES: Record<string, string> = { 'libEGL.so.1': 'libegl1', 'libGLdispatch.so.0': 'libglvnd0' };

export function probeHost(options: ProbeOptions = {}): HostFindings {
  const root = options.root ?? '/';
  const env = options.env ?? process.env;
  const run = options.runCommand ?? (() => undefined);
  const at = (p: string): string => (root === '/' ? p : path.join(root, p));
  const read = (p: string): string | undefined => {
    try {
      return readFileSync(at(p), 'utf8');
    } catch {
      return undefined;
    }
  };
  const isFile = (p: string): boolean => {
    try {
      return statSync(at(p)).isFile();
    } catch {
      return false;
    }
  };
  const list = (dir: string): string[] => {
    try {
      return readdirSync(at(dir)).sort();
    } catch {
      return [];
    }
  };

  // The kernel driver. The file is there whenever the module is loaded, in containers too.
  let nvidiaDriver: HostFindings['nvidiaDriver'] = null;
  const procVersion = read('/proc/driver/nvidia/version');
  const fromProc = procVersion?.match(/Kernel Module(?: for [^\s]+)?\s+([0-9]+(?:\.[0-9]+)+)/);
  if (fromProc) nvidiaDriver = { version: fromProc[1]!, source: '/proc/driver/nvidia/version' };
  const smiVersion = run('nvidia-smi', ['--query-gpu=driver_version', '--format=csv,noheader'])?.split('\n')[0]?.trim();
  if (!nvidiaDriver && smiVersion && /^[0-9.]+$/.test(smiVersion)) nvidiaDriver = { version: smiVersion, source: 'nvidia-smi' };
  const nvidiaGpus = (run('nvidia-smi', ['-L']) ?? '').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('GPU '));

  const container = isFile('/.dockerenv') ? 'docker' : isFile('/run/.containerenv') ? 'podman' : env.KUBERNETES_SERVICE_HOST ? 'kubernetes' : /docker|kubepods|containerd|libpod/.test(read('/proc/1/cgroup') ?? '') ? 'container' : null;

  const libDirs = unique([...(env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d.startsWith('/')), ...ldSoConfDirs(read, list), ...STANDARD_LIB_DIRS, ...NVIDIA_LIB_DIRS]);
  const findLibrary = (name: string): string | null => {
    for (const d of libDirs) if (isFile(`${d}/${name}`)) return `${d}/${name}`;
    return null;
  };

  const manifest = (file: string, source: IcdManifest['source']): IcdManifest => {
    const text = read(file);
    const base: IcdManifest = { path: file, library: null, resolvedLibrary: null, apiVersion: null, kind: 'other', source };
    if (text === undefined) return { ...base, error: 'cannot be read' };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { ...base, error: 'is not JSON' };
    }
    const icd = (json as { ICD?: { library_path?: unknown; api_version?: unknown } } | null)?.ICD;
    const library = typeof icd?.library_path === 'string' ? icd.library_path : null;
    if (!library) return { ...base, error: 'names no ICD.library_path' };
    const resolvedLibrary = library.startsWith('/') ? (isFile(library) ? library : null) : library.includes('/') ? resolveRelative(file, library, isFile) : findLibrary(library);
    const linked = resolvedLibrary && root === '/' ? missingLibraries(run('ldd', [resolvedLibrary])) : [];
    const opened = resolvedLibrary && icdKind(`${file} ${library}`) === 'nvidia' ? Object.keys(NVIDIA_RUNTIME_LIBRARIES).filter((l) => findLibrary(l) === null) : [];
    const missing = unique([...linked, ...opened]);
    return { ...base, library, resolvedLibrary, ...(missing.length ? { missingLibraries: missing } : {}), apiVersion: typeof icd?.api_version === 'string' ? icd.api_version : null, kind: icdKind(`${file} ${library}`) };
  };

  const envVariable = env.VK_DRIVER_FILES ? 'VK_DRIVER_FILES' : env.VK_ICD_FILENAMES ? 'VK_ICD_FILENAMES' : null;
  const envIcd = envVariable ? { variable: envVariable, value: env[envVariable]! } : null;
  const searchedDirs = unique([...loaderDirs(env), ...NVIDIA_ICD_DIRS]);
  const icds: IcdManifest[] = [];
  const seen = new Set<string>();
  const add = (file: string, source: IcdManifest['source']): void => {
    if (seen.has(file)) return;
    seen.add(file);
    icds.push(manifest(file, source));
  };
  for (const entry of envIcd?.value.split(':').filter(Boolean) ?? []) {
    if (isFile(entry) || !list(entry).length) add(entry, 'env');
    else for (const f of list(entry).filter((n) => n.endsWith('.json'))) add(`${entry}/${f}`, 'env');
  }
  for (const dir of searchedDirs) for (const f of list(dir).filter((n) => n.endsWith('.json'))) add(`${dir}/${f}`, 'search');

  const nvidiaLibrary = NVIDIA_ICD_LIBRARIES.map(findLibrary).find((p) => p !== null) ?? null;
  return { nvidiaDriver, nvidiaGpus, container, driverCapabilities: env.NVIDIA_DRIVER_CAPABILITIES ?? null, envIcd, searchedDirs, icds, nvidiaLibrary, libDirs };
}

/** `ldd` output → the sonames it could not find. */
export function missingLibraries(lddOutput: string | undefined): string[] {
  return (lddOutput ?? '').split('\n').map((l) => l.match(/^\s*(\S+)\s+=>\s+not found/)?.[1]).filter((n): n is string => n !== undefined);
}

function icdKind(text: string): IcdKind {
  if (/nvidia/i.test(text)) return 'nvidia';
  if (/lvp|lavapipe|llvmpipe|swiftshader|swrast|softpipe/i.test(text)) return 'software';
  return 'other';
}

function resolveRelative(manifestPath: string, library: string, isFile: (p: string) => boolean): string | null {
  const p = path.posix.normalize(path.posix.join(path.posix.dirname(manifestPath), library));
  return isFile(p) ? p : null;
}

/** Folders named in /etc/ld.so.conf and /etc/ld.so.conf.d/*.conf (one level of includes). */
function ldSoConfDirs(read: (p: string) => string | undefined, list: (d: string) => string[]): string[] {
  const files = ['/etc/ld.so.conf', ...list('/etc/ld.so.conf.d').filter((f) => f.endsWith('.conf')).map((f) => `/etc/ld.so.conf.d/${f}`)];
  return files.flatMap((f) => (read(f) ?? '').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l.startsWith('/')));
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/**
 * Which ICDs the check hands the loader. `auto`: every usable manifest, NVIDIA's first — a manifest
 * says a driver is installed, not that its hardware is there (Mesa installs radeon, intel and virtio
 * manifests everywhere), so Dawn's high-performance choice among the devices that answer decides.
 */
export type IcdPreference = 'auto' | 'nvidia' | 'software' | 'all';

export interface LoaderChoice {
  /** The manifests handed to the loader (VK_DRIVER_FILES), or empty to leave the loader's own search. */
  icds: IcdManifest[];
  /** A manifest we write because the driver's library is there but no manifest names it. */
  generated: { path: string; json: string } | null;
  /** Environment for the processes that open the GPU (the loader's variables). */
  env: Record<string, string>;
  /** Folders to put on LD_LIBRARY_PATH: where a chosen ICD's library lives outside the linker's defaults. */
  libraryDirs: string[];
  /** What was decided and why, for the log. */
  notes: string[];
}

/**
 * The loader setup for the GPU processes. A user's own VK_DRIVER_FILES is kept as it is. Otherwise the
 * chosen manifests are named explicitly, so one in a folder the loader does not search (an NVIDIA
 * container's) is found, and a library outside the linker's folders gets its folder on LD_LIBRARY_PATH.
 * When the NVIDIA driver's library is present and no manifest names it, one is written in `scratchDir`.
 */
export function chooseLoader(f: HostFindings, preference: IcdPreference, scratchDir: string, hostRoot = '/'): LoaderChoice {
  const notes: string[] = [];
  const env: Record<string, string> = {};
  if (f.envIcd && preference === 'auto') {
    notes.push(`${f.envIcd.variable} is set (${f.envIcd.value}): the loader uses it as it is`);
    return { icds: f.icds.filter((i) => i.source === 'env'), generated: null, env, libraryDirs: [], notes };
  }
  const usable = f.icds.filter((i) => !i.error);
  let generated: LoaderChoice['generated'] = null;
  let nvidia = usable.filter((i) => i.kind === 'nvidia');
  if (!nvidia.length && f.nvidiaLibrary && preference !== 'software') {
    const json = `${JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: f.nvidiaLibrary, api_version: '1.3.0' } }, null, 2)}\n`;
    generated = { path: path.join(scratchDir, 'nvidia_icd.json'), json };
    nvidia = [{ path: generated.path, library: f.nvidiaLibrary, resolvedLibrary: f.nvidiaLibrary, apiVersion: '1.3.0', kind: 'nvidia', source: 'generated' }];
    notes.push(`no manifest names the NVIDIA driver's ${path.posix.basename(f.nvidiaLibrary)}: wrote one (${generated.path})`);
  }
  // Two manifests naming the same driver library (the driver's own and the container toolkit's copy)
  // would make the loader open the GPU twice: Dawn then lists it twice.
  const libraries = new Set<string>();
  nvidia = nvidia.filter((i) => {
    const key = i.resolvedLibrary ?? i.path;
    if (libraries.has(key)) return false;
    libraries.add(key);
    return true;
  });
  const hardware = usable.filter((i) => i.kind === 'other');
  const software = usable.filter((i) => i.kind === 'software');
  const icds = preference === 'nvidia' ? nvidia : preference === 'software' ? software : [...nvidia, ...hardware, ...software];
  let libraryDirs: string[] = [];
  if (icds.length) {
    // Paths as the loader sees them: under a test's fake root, the real files.
    const real = (p: string, i: IcdManifest): string => (i.source === 'generated' || hostRoot === '/' ? p : path.join(hostRoot, p));
    env.VK_DRIVER_FILES = icds.map((i) => real(i.path, i)).join(':');
    env.VK_ICD_FILENAMES = env.VK_DRIVER_FILES; // loaders older than 1.3.207 read only this one
    libraryDirs = unique(icds.map((i) => i.resolvedLibrary).filter((p): p is string => p !== null).map((p) => path.posix.dirname(p)).filter((d) => !STANDARD_LIB_DIRS.includes(d)));
  } else {
    notes.push(preference === 'auto' ? 'no usable ICD manifest found: the loader searches its own folders' : `no ${preference} ICD manifest found`);
  }
  return { icds, generated, env, libraryDirs, notes };
}

/** The adapter Dawn opened, or why none opened. */
export type AdapterOutcome = { name: string; backend: string; software: boolean; type?: string } | { error: string };

/**
 * The one line that says what was found: driver, ICD, loader, adapter — and, when there is no GPU
 * adapter, why and what to do on this host.
 */
export function findingLine(f: HostFindings, choice: LoaderChoice, loader: string, adapter: AdapterOutcome): string {
  const parts: string[] = [];
  parts.push(f.nvidiaDriver ? `NVIDIA driver ${f.nvidiaDriver.version}` : f.nvidiaGpus.length ? 'NVIDIA GPU seen by nvidia-smi, driver version unknown' : 'no NVIDIA driver (/proc/driver/nvidia/version absent)');
  const nvidiaIcds = choice.icds.filter((i) => i.kind === 'nvidia');
  const describe = (i: IcdManifest): string => `${i.path}${i.library ? ` → ${i.library}${i.resolvedLibrary || i.source === 'generated' ? '' : ' (not in the linker folders)'}` : ''}`;
  if (nvidiaIcds.length) {
    const others = choice.icds.length - nvidiaIcds.length;
    parts.push(`ICD ${nvidiaIcds.map(describe).join(', ')}${others ? ` (+ ${others} other${others === 1 ? '' : 's'})` : ''}`);
  } else if (choice.icds.length) {
    const software = choice.icds.filter((i) => i.kind === 'software');
    parts.push(`no NVIDIA ICD; ${choice.icds.length} other ICD${choice.icds.length === 1 ? '' : 's'} (${choice.icds.map((i) => path.posix.basename(i.path)).join(', ')})${software.length ? `, software: ${software.map(describe).join(', ')}` : ''}`);
  } else if (f.envIcd) {
    parts.push(`ICD from ${f.envIcd.variable}=${f.envIcd.value}`);
  } else {
    parts.push('no Vulkan ICD manifest found');
  }
  parts.push(`loader ${loader}`);
  if ('error' in adapter) {
    parts.push(`no adapter: ${adapter.error}`);
  } else {
    parts.push(`adapter ${adapter.name} (${adapter.backend}${adapter.software ? ', a software adapter: this measures a CPU, not a GPU' : adapter.type ? `, ${adapter.type}` : ''})`);
  }
  const advice = hostAdvice(f, choice, adapter);
  return `gpu-check: ${parts.join(' · ')}${advice ? ` — ${advice}` : ''}`;
}

/** What to do when the NVIDIA GPU is not the adapter, for this host; empty when nothing is wrong. */
export function hostAdvice(f: HostFindings, choice: LoaderChoice, adapter: AdapterOutcome): string {
  const gotHardware = !('error' in adapter) && !adapter.software;
  if (gotHardware) return '';
  const hasNvidia = f.nvidiaDriver !== null || f.nvidiaGpus.length > 0;
  const nvidiaIcd = choice.icds.some((i) => i.kind === 'nvidia') || f.icds.some((i) => i.kind === 'nvidia' && !i.error);
  if (hasNvidia && !nvidiaIcd) {
    if (f.container) {
      const caps = f.driverCapabilities ?? '(unset: compute,utility)';
      return `an NVIDIA GPU is here but its Vulkan ICD is not: inside a ${f.container} container the NVIDIA runtime mounts it only with the graphics capability (NVIDIA_DRIVER_CAPABILITIES is ${caps}); start the container with NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics (docker run --gpus all -e NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics …)`;
    }
    const major = f.nvidiaDriver?.version.split('.')[0];
    return `an NVIDIA GPU is here but its Vulkan ICD is not: install the driver's Vulkan/GL part (Ubuntu/Debian: apt-get install libnvidia-gl-${major ?? '<driver major>'}; the .run installer: reinstall without --no-opengl-files), or set VK_DRIVER_FILES to its nvidia_icd.json`;
  }
  if (hasNvidia && nvidiaIcd) {
    const unresolved = choice.icds.find((i) => i.kind === 'nvidia' && !i.resolvedLibrary && i.source !== 'generated');
    const missing = choice.icds.find((i) => i.missingLibraries?.length);
    if (missing) {
      const libs = missing.missingLibraries!;
      const packages = unique(libs.map((l) => NVIDIA_RUNTIME_LIBRARIES[l]).filter((p): p is string => p !== undefined));
      const install = packages.length ? ` (Debian/Ubuntu: apt-get install ${packages.join(' ')}; Fedora/RHEL: dnf install libglvnd-egl)` : ' (their packages)';
      return `the ICD's library ${missing.resolvedLibrary} needs ${libs.join(', ')}, which the linker cannot find: install them${install} or put their folder on LD_LIBRARY_PATH`;
    }
    if (unresolved) return `the NVIDIA ICD's library ${unresolved.library} is in none of ${f.libDirs.length} linker folders: add its folder to LD_LIBRARY_PATH`;
    return 'the NVIDIA ICD is there but Dawn opened no NVIDIA adapter: run "vulkaninfo --summary" with VK_LOADER_DEBUG=error,warn to see why the loader rejected it';
  }
  if ('error' in adapter) return 'no GPU driver found: install your GPU\'s Vulkan driver, or Mesa 23+ (lavapipe) to run on the CPU';
  return 'no hardware GPU found; figures taken here are a CPU\'s';
}

/** Runs a host command (nvidia-smi, ldd) for probeHost: its stdout, or undefined when it is missing or fails. */
export function runQuietly(file: string, args: string[]): string | undefined {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout : undefined;
}

/**
 * Why this Linux host gave the profiler no GPU, and what to do — the same advice as the GPU kit's
 * finding (`hostAdvice`), for the profiler's own no-adapter error and for a run that only found a
 * software adapter. Empty when nothing is wrong or this is not Linux. `root` stands for "/" in tests.
 */
export function diagnoseHost(adapter: AdapterOutcome, root = '/', env: Record<string, string | undefined> = process.env): { advice: string; nvidiaPresent: boolean } {
  if (process.platform !== 'linux') return { advice: '', nvidiaPresent: false };
  const findings = probeHost({ root, env, runCommand: root === '/' ? runQuietly : () => undefined });
  return { advice: hostAdvice(findings, chooseLoader(findings, 'auto', tmpdir(), root), adapter), nvidiaPresent: findings.nvidiaDriver !== null || findings.nvidiaGpus.length > 0 };
}
