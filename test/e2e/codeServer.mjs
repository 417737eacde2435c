// Starts and stops a throw-away code-server (Node 24, from test/e2e/node_modules) with the VSIX
// under test installed into a fresh extensions dir, fresh user data and the settings below.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CODE_SERVER_ENTRY, NODE24, node24Env } from './install.mjs';

// User settings for a quiet, deterministic workbench. Workspace trust stays on (its default): the
// startup prompt is a modal that would swallow keystrokes, so it is turned off, which leaves the
// folder untrusted, i.e. in Restricted Mode, where the extension declares that it works.
export const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.editor.enablePreview': false,
  'security.workspace.trust.startupPrompt': 'never',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'json.schemaDownload.enable': false,
  'git.enabled': false,
  'editor.codeLens': true,
  'editor.hover.enabled': true,
  'editor.hover.delay': 100,
  'editor.minimap.enabled': false,
  // Headless Chromium can look like a screen reader to the workbench, which then asks about it.
  'editor.accessibilitySupport': 'off',
  // A small profile (the model's own decode at 256 tokens) so step j measures for real on lavapipe
  // in seconds; the worker still measures the device's peaks and checks against the CPU reference.
  'attentionLens.profile.contexts': [256],
  'attentionLens.profile.variants': 'own',
  'attentionLens.profile.mode': 'decode',
};

/** The newest *.vsix in the repository root (what `npm run package` just built), or $E2E_VSIX. */
export function findVsix(repoRoot) {
  if (process.env.E2E_VSIX) return process.env.E2E_VSIX;
  const vsixes = readdirSync(repoRoot)
    .filter((f) => f.endsWith('.vsix'))
    .map((f) => ({ path: join(repoRoot, f), mtime: statSync(join(repoRoot, f)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  if (vsixes.length === 0) {
    throw new Error(`no *.vsix in ${repoRoot}: run \`npm run package\` first (or set E2E_VSIX)`);
  }
  return vsixes[0].path;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Everything code-server reads or writes lives under `root`, so runs never share state with each
 * other or with the machine's own ~/.config/code-server.
 */
function serverEnv(root) {
  const env = node24Env(process.env);
  // The test runner's own variables would leak into every Node process the server forks.
  for (const k of ['NODE_OPTIONS', 'NODE_TEST_CONTEXT', 'NODE_CHANNEL_FD', 'PASSWORD', 'HASHED_PASSWORD']) delete env[k];
  return {
    ...env,
    XDG_CONFIG_HOME: join(root, 'xdg', 'config'),
    XDG_DATA_HOME: join(root, 'xdg', 'data'),
    XDG_CACHE_HOME: join(root, 'xdg', 'cache'),
  };
}

function commonArgs(dirs) {
  return ['--config', dirs.config, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
}

function layout(root) {
  const dirs = {
    userData: join(root, 'user-data'),
    extensions: join(root, 'extensions'),
    config: join(root, 'code-server.yaml'),
    log: join(root, 'code-server.log'),
  };
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  mkdirSync(dirs.extensions, { recursive: true });
  // Its own config file (flags below override it), so ~/.config/code-server is never read or written.
  writeFileSync(dirs.config, 'auth: none\n');
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), `${JSON.stringify(USER_SETTINGS, null, 2)}\n`);
  writeFileSync(dirs.log, '');
  return dirs;
}

/** Runs code-server once as a CLI (e.g. --install-extension) and returns its output. */
function runCli(args, { root, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE24, [CODE_SERVER_ENTRY, ...args], {
      env: serverEnv(root), stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`code-server ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${out}`));
    });
  });
}

async function waitHealthy(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('code-server exited during start-up');
    try {
      const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await sleep(250);
  }
  throw new Error(`code-server did not answer ${url}healthz within ${timeoutMs / 1000} s`);
}

/** Kills a process group: SIGTERM, then SIGKILL for whatever is left after `graceMs`. */
export async function killGroup(pid, graceMs = 5_000) {
  const alive = () => { try { process.kill(-pid, 0); return true; } catch { return false; } };
  if (!alive()) return;
  try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await sleep(100);
  if (alive()) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
}

/**
 * Installs `vsix` and starts code-server on a free loopback port.
 * @param {{ root: string, vsix: string, log: (line: string) => void }} opts
 * @returns {Promise<{ url: string, folderUrl: (dir: string) => string, logFile: string,
 *   userDataDir: string, pid: number, stop: () => Promise<void>, logTail: (n?: number) => string }>}
 */
export async function startCodeServer({ root, vsix, log }) {
  if (!existsSync(vsix)) throw new Error(`VSIX not found: ${vsix}`);
  const dirs = layout(root);

  log(`code-server: installing ${vsix}`);
  const out = await runCli([...commonArgs(dirs), '--force', '--install-extension', vsix], { root, timeoutMs: 120_000 });
  if (!/successfully installed/i.test(out)) throw new Error(`VSIX install did not report success:\n${out}`);
  log(`code-server: ${out.trim().split('\n').pop()}`);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const child = spawn(NODE24, [
    CODE_SERVER_ENTRY,
    ...commonArgs(dirs),
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--ignore-last-opened',
  ], {
    env: serverEnv(root),
    // Its own process group, so that stopping it also stops the extension host and the other
    // Node processes it forks.
    detached: true,
    stdio: ['ignore', openSync(dirs.log, 'a'), openSync(dirs.log, 'a')],
  });
  // The runner (scripts/e2e.mjs) kills every group listed here if this process dies without
  // cleaning up (watchdog timeout, crash).
  if (process.env.E2E_PGID_FILE) appendFileSync(process.env.E2E_PGID_FILE, `${child.pid}\n`);
  log(`code-server: pid ${child.pid} on ${url} (log: ${dirs.log})`);

  const stop = () => killGroup(child.pid);
  try {
    await waitHealthy(url, child, 60_000);
  } catch (err) {
    await stop();
    throw new Error(`${err.message}\n${tail(dirs.log, 40)}`, { cause: err });
  }
  return {
    url,
    folderUrl: (dir) => `${url}?folder=${encodeURIComponent(dir)}`,
    logFile: dirs.log,
    userDataDir: dirs.userData,
    pid: child.pid,
    stop,
    logTail: (n = 60) => tail(dirs.log, n),
  };
}

function tail(file, n) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch (e) {
    return `(no log: ${e.message})`;
  }
}

/**
 * The tails of VS Code's logs that tell why an extension misbehaved: the remote agent, the
 * extension host (activation errors land there) and the extension's own output channels.
 */
export function extensionHostLogTails(userDataDir, n = 40) {
  const logsDir = join(userDataDir, 'logs');
  const found = [];
  const walk = (dir) => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^(remoteexthost|remoteagent)\.log$/.test(e.name) || /attention/i.test(relative(logsDir, p))) found.push(p);
    }
  };
  walk(logsDir);
  return found.map((p) => `--- ${p}\n${tail(p, n)}`).join('\n');
}
