// End-to-end: the packaged extension (the newest *.vsix in the repository root, or $E2E_VSIX) in a
// real VS Code (code-server) driven by Playwright, one code-server session for all steps. Each step
// leaves a screenshot in test-artifacts/e2e/; a failing one leaves FAILED-<step>.png and prints the
// server's and the extension host's log tails.
//
// Run through `node scripts/e2e.mjs`, which installs the toolchain first and bounds the whole run;
// `node --test test/e2e/editor.e2e.mjs` works too once test/e2e/node_modules is installed.
//
// ATTENTION_LENS_SCREENSHOTS=<folder> (relative to the repository) also writes the README's pictures
// there, each clipped to the feature it shows: lenses.png (step b), hover.png (d), report-panel.png
// (k), sidebar.png (l). `ATTENTION_LENS_SCREENSHOTS=docs/screenshots npm run test:e2e` refreshes them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { extensionHostLogTails, findVsix, startCodeServer } from './codeServer.mjs';
import { E2E_DIR, isInstalled } from './install.mjs';
import { Workbench, launchBrowser, poll } from './workbench.mjs';
import { FILES, createWorkspace } from './workspace.mjs';

const REPO = resolve(E2E_DIR, '..', '..');
const ARTIFACTS = join(REPO, 'test-artifacts', 'e2e');
const STEP_TIMEOUT_MS = 120_000;
/** Where the README's screenshots go, when asked for (see the top of this file). */
const DOC_SHOTS = process.env.ATTENTION_LENS_SCREENSHOTS ? resolve(REPO, process.env.ATTENTION_LENS_SCREENSHOTS) : undefined;
/** What README.md may link (test/unit/readmeImages.test.ts holds it to this). */
const DOC_SHOT_MAX_BYTES = 200 * 1024;

const log = (line) => console.error(`[e2e ${new Date().toISOString().slice(11, 19)}] ${line}`);

/** @type {Awaited<ReturnType<typeof startCodeServer>> | undefined} */
let server;
/** @type {import('playwright-core').Browser | undefined} */
let browser;
/** @type {Workbench | undefined} */
let wb;
let root;
let workspace;
/** Whether the folder opened untrusted (Restricted Mode), as the settings intend. */
let restricted = false;

// Last resort if the hooks never run (runner killed by its watchdog, crash): a detached
// code-server would otherwise outlive this process. Must be synchronous.
process.on('exit', () => {
  if (server) { try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ } }
  if (root && !process.env.E2E_KEEP) rmSync(root, { recursive: true, force: true });
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => { log(`${sig}: stopping code-server and the browser`); process.exit(sig === 'SIGINT' ? 130 : 143); });
}

before(async () => {
  assert.ok(isInstalled(), 'test/e2e/node_modules is not installed: run `node scripts/e2e.mjs`');
  const vsix = findVsix(REPO);
  rmSync(ARTIFACTS, { recursive: true, force: true });
  root = mkdtempSync(join(tmpdir(), 'attention-lens-e2e-'));
  workspace = createWorkspace(REPO, join(root, 'workspace'));
  log(`workspace ${workspace}`);

  server = await startCodeServer({ root, vsix, log });
  browser = await launchBrowser();
  log(`chromium ${browser.version()}: opening the workbench`);
  wb = await Workbench.open(browser, server.folderUrl(workspace), ARTIFACTS);
  // The settings leave the folder untrusted; steps a and h check what trust changes. The
  // indicator shows a moment after the workbench, hence the short wait.
  restricted = await poll('the Restricted Mode indicator', () => wb.statusBarItems(),
    (items) => items.some((s) => /Restricted Mode/.test(s)), { timeoutMs: 15_000 }).then(() => true, () => false);
  log(`workbench ready; ${restricted ? 'Restricted Mode (untrusted folder)' : 'trusted folder'}`);
  await wb.screenshot('0-workbench');
}, { timeout: 240_000 });

after(async () => {
  if (wb) await wb.close().catch(() => {});
  if (browser) await browser.close().catch(() => {});
  if (server) {
    await server.stop();
    // Kept for CI's artifacts: the server log and VS Code's own logs (extension host included).
    try {
      cpSync(server.logFile, join(ARTIFACTS, 'code-server.log'));
      cpSync(join(server.userDataDir, 'logs'), join(ARTIFACTS, 'logs'), { recursive: true });
    } catch { /* nothing logged */ }
    server = undefined;
  }
  if (root && !process.env.E2E_KEEP) rmSync(root, { recursive: true, force: true });
  root = undefined;
  log('code-server and the browser are stopped');
}, { timeout: 60_000 });

/**
 * One end-to-end step: runs `fn`, then screenshots `test-artifacts/e2e/<slug>.png`; on failure
 * screenshots FAILED-<slug>.png and prints what the server and extension host logged.
 */
function step(slug, title, fn) {
  test(title, { timeout: STEP_TIMEOUT_MS }, async () => {
    assert.ok(wb, 'the workbench did not open (see the before hook)');
    try {
      await fn();
      await wb.screenshot(slug);
    } catch (err) {
      const shot = await wb.screenshot(`FAILED-${slug}`).catch((e) => `(no screenshot: ${e.message})`);
      log(`step ${slug} failed; screenshot ${shot}`);
      log(`code-server log tail:\n${server?.logTail(60)}`);
      log(`extension host logs:\n${server ? extensionHostLogTails(server.userDataDir) : ''}`);
      if (wb.consoleErrors.length) log(`browser console errors (last 15):\n${wb.consoleErrors.slice(-15).join('\n')}`);
      throw err;
    }
  });
}

/**
 * A README screenshot, only when ATTENTION_LENS_SCREENSHOTS asks for them: `box()` (page CSS pixels)
 * says which part of the window shows the feature. Taken inside the step, after its checks passed,
 * so the picture shows what the test just verified.
 */
async function docShot(name, box, opts) {
  if (!DOC_SHOTS) return;
  mkdirSync(DOC_SHOTS, { recursive: true });
  const file = join(DOC_SHOTS, `${name}.png`);
  const bytes = await wb.screenshotClip(file, await box(), opts);
  const over = bytes > DOC_SHOT_MAX_BYTES ? ` — over ${DOC_SHOT_MAX_BYTES / 1024} KB, clip it tighter` : '';
  log(`README screenshot ${relative(REPO, file)}: ${(bytes / 1024).toFixed(0)} KB${over}`);
}

/**
 * The active editor from its tab bar down to where its text (and `extra`, e.g. a hover) ends: the
 * part of the window that shows lenses and hovers, without the minimap and the empty space.
 */
async function editorContentBox(extra = []) {
  const group = wb.page.locator('.editor-group-container.active');
  const whole = await wb.boxOf([group]);
  const content = await wb.boxOf([
    group.locator('.monaco-editor .view-line span span'),
    group.locator('.monaco-editor .codelens-decoration > :is(a, span)'),
    ...extra,
  ], whole);
  return { x: whole.x, y: whole.y, width: content.x + content.width - whole.x + 24, height: content.y + content.height - whole.y + 6 };
}

/** Waits for the active editor's code lenses to satisfy `accept`; returns them. */
function lensesWhere(what, accept) {
  return poll(`code lenses: ${what}`, () => wb.codeLensTitles(), accept);
}

const isProfile = (t) => /^(\$\(play\) )?Profile$/.test(t);

step('a-mha-lenses', 'a. llama-2-7b (MHA): variant and Compare variants lenses; Profile only if trusted', async () => {
  await wb.quickOpen(FILES.mha);
  const titles = await lensesWhere('MHA and Compare variants', (ts) =>
    ts.some((t) => t.startsWith('MHA · 32 q / 32 kv heads · 512 KiB/token'))
    && ts.includes('Compare variants')
    && (restricted || ts.some(isProfile)));
  log(`lenses: ${JSON.stringify(titles)}`);
  // Profiling starts a GPU process, so its lens waits for trust (step h checks that it comes).
  if (restricted) assert.ok(!titles.some(isProfile), 'no Profile lens in Restricted Mode');
});

step('b-gqa-lenses', 'b. llama-3.1-8b (GQA): variant and KV-at-context lenses', async () => {
  await wb.quickOpen(FILES.gqa);
  const titles = await lensesWhere('GQA and KV at 131,072 tokens', (ts) =>
    ts.includes('GQA · 32 q / 8 kv heads · 128 KiB/token')
    && ts.includes('KV at 131,072 tokens: 16.0 GiB (bf16) · fits 3× on H100 SXM 80GB'));
  log(`lenses: ${JSON.stringify(titles)}`);
  await docShot('lenses', () => editorContentBox());
});

step('c-mla-lenses', 'c. deepseek-v3 (MLA): latent lens', async () => {
  await wb.quickOpen(FILES.mla);
  const titles = await lensesWhere('MLA latent 576', (ts) => ts.some((t) => t.startsWith('MLA latent 576 · 68.6 KiB/token')));
  log(`lenses: ${JSON.stringify(titles)}`);
});

step('d-hover', 'd. hover on num_key_value_heads explains it and its KV-cache effect', async () => {
  await wb.quickOpen(FILES.gqa);
  const text = await wb.hoverToken('num_key_value_heads', (t) => t.includes('num_key_value_heads') && t.includes('KV cache'));
  log(`hover: ${text.slice(0, 200)}${text.length > 200 ? '…' : ''}`);
  await docShot('hover', () => editorContentBox([wb.page.locator('.monaco-hover:not(.hidden)')]));
});

step('e-diagnostic', 'e. broken config: "not divisible" error on num_key_value_heads in Problems', async () => {
  await wb.quickOpen(FILES.broken);
  const keyLine = readFileSync(join(workspace, FILES.broken), 'utf8').split('\n')
    .findIndex((l) => l.includes('"num_key_value_heads"')) + 1;
  await wb.showProblems();
  const rows = await poll('a Problems row containing "not divisible"', () => wb.problemRows(),
    (rs) => rs.some((r) => r.includes('not divisible')));
  const row = rows.find((r) => r.includes('not divisible'));
  log(`problem: ${row}`);
  assert.match(row, new RegExp(`\\[Ln ${keyLine}, Col \\d+\\]`), `the diagnostic should be on line ${keyLine} (num_key_value_heads)`);
});

step('f-no-lenses-elsewhere', 'f. a JSON file that is not a model config gets no lenses', async () => {
  // Give the editor its full height back (step e opened Problems): lenses are read from the
  // rendered lines only.
  await wb.runCommand('View: Hide Panel');
  await wb.quickOpen(FILES.other);
  await poll('other.json to render', () => wb.editorText(), (t) => t.includes('"name"'));
  // Absence can only be checked after the providers had their chance: the lenses of a model
  // config (steps a–c) show within a second or two once the extension is up.
  await sleep(5_000);
  const count = await wb.page.locator('.editor-group-container.active .monaco-editor .codelens-decoration').count();
  assert.equal(count, 0, `expected no code lenses, found: ${JSON.stringify(await wb.codeLensTitles())}`);
});

step('g-command-and-status', 'g. status bar item and "Attention Lens: Show KV Budget" on llama-3.1-8b', async () => {
  await wb.quickOpen(FILES.gqa);
  const items = await poll('a status bar item with GQA and KiB/token', () => wb.statusBarItems(),
    (its) => its.some((t) => t.includes('GQA') && t.includes('KiB/token')));
  log(`status bar: ${items.find((t) => t.includes('GQA'))}`);

  await wb.runCommand('Attention Lens: Show KV Budget');
  const shown = await poll('a budget editor whose text has KV and GiB', async () => ({
    tab: await wb.activeTabLabel(), text: await wb.editorText(),
  }), (s) => /budget/i.test(s.tab) && s.text.includes('GiB') && s.text.includes('KV'));
  log(`budget tab "${shown.tab}": ${shown.text.split('\n').slice(0, 3).join(' / ')}`);

  // Read-only: typing into it must not change it.
  const probe = 'e2e-typed-here';
  await wb.page.locator('.editor-group-container.active .monaco-editor .view-lines').click();
  await wb.page.keyboard.type(probe);
  await sleep(1_000);
  assert.ok(!(await wb.editorText()).includes(probe), 'the budget document accepted typing; it should be read-only');
});

step('h-trust-profile', 'h. trusting the workspace brings the Profile lens', async () => {
  if (restricted) await wb.trustWorkspace();
  await wb.quickOpen(FILES.mha);
  const titles = await lensesWhere('MHA and Profile', (ts) =>
    ts.some((t) => t.startsWith('MHA · 32 q / 32 kv heads · 512 KiB/token')) && ts.some(isProfile));
  log(`lenses: ${JSON.stringify(titles)}`);
});

step('i-choose-gpu', 'i. "Attention Lens: Choose GPU" → H200: the context lens follows the setting', async () => {
  await wb.quickOpen(FILES.gqa);
  await wb.runCommandAndPick('Attention Lens: Choose GPU', 'H200 SXM 141GB');
  // 16.0 GiB per 131,072-token request; the H200 leaves 141 × 0.9 − 15.0 weights − 2 reserve ≈ 110 GiB.
  const titles = await lensesWhere('the context lens on the H200', (ts) => ts.includes('KV at 131,072 tokens: 16.0 GiB (bf16) · fits 6× on H200 SXM 141GB'));
  log(`lenses: ${JSON.stringify(titles)}`);
});

/** The profiler workers alive now: pid and ancestors (Linux /proc). */
function profilerWorkers() {
  const out = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker.mjs')) continue;
      const ancestors = [];
      for (let p = Number(pid); p > 1 && ancestors.length < 32;) {
        p = Number(readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
        ancestors.push(p);
      }
      out.push({ pid: Number(pid), ancestors });
    } catch { /* gone meanwhile */ }
  }
  return out;
}

step('j-profile', 'j. "Attention Lens: Profile Attention Config" runs in the worker on the server side with progress and opens measured results on the server\'s adapter', async () => {
  await wb.quickOpen(FILES.gqa);
  // The worker must be the server's child (the extension host runs on the server, as under Remote-SSH).
  const seen = new Map();
  const watch = setInterval(() => { for (const w of profilerWorkers()) seen.set(w.pid, w); }, 50);
  await wb.runCommand('Attention Lens: Profile Attention Config');
  const progress = await poll('the progress notification', () => wb.notifications(),
    (ns) => ns.some((n) => /profiling/i.test(n)), { timeoutMs: 30_000 }).catch(() => []);
  log(`notification: ${progress.find((n) => /profiling/i.test(n)) ?? '(finished before it could be read)'}`);
  await wb.screenshot('j-profile-progress');
  const shown = await poll('the profile results', async () => ({ tab: await wb.activeTabLabel(), text: await wb.editorText() }),
    (s) => /profile/i.test(s.tab) && /device/.test(s.text) && /median/.test(s.text), { timeoutMs: 110_000 });
  log(`profile tab "${shown.tab}": ${shown.text.split('\n').slice(0, 3).join(' / ')}`);
  clearInterval(watch);
  assert.match(shown.text, /GQA-8 32 q \/ 8 kv heads/, 'the own attention of Llama-3.1-8B was timed');
  assert.match(shown.text, /checked against an f32 CPU reference/);
  const workers = [...seen.values()];
  assert.ok(workers.length > 0, 'the profiler worker was seen running');
  assert.ok(workers.every((w) => w.ancestors.includes(server.pid)), `the worker runs under the code-server process ${server.pid}: ${JSON.stringify(workers)}`);
  // The adapter it reports is the one the server's machine offers.
  const cli = spawnSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'profile', '--list-adapters', '--json'], { encoding: 'utf8', timeout: 120_000 });
  const chosen = JSON.parse(cli.stdout).chosen;
  assert.ok(chosen && shown.text.includes(chosen.name), `the profile names the server's adapter ${chosen?.name}`);
  log(`worker ${workers.map((w) => w.pid).join(', ')} under code-server ${server.pid}; adapter ${chosen.name}`);
});

step('k-report-panel', 'k. the report panel opens from a lens, draws its charts, and redraws them for another GPU', async () => {
  await wb.quickOpen(FILES.gqa);
  await wb.clickCodeLens('GQA · 32 q / 8 kv heads · 128 KiB/token');
  const frame = wb.webviewFrame();
  await frame.locator('body[data-rendered="true"]').waitFor({ timeout: 60_000 });
  const summary = await frame.locator('body').innerText();
  assert.match(summary, /128 KiB/, 'the panel shows the KV per token of Llama-3.1-8B');
  // The panel starts from the settings (step i chose the H200); switch it to another GPU.
  const current = await frame.locator('#c-gpu').inputValue();
  const [next, name] = current === 'b200' ? ['h200', 'H200 SXM 141GB'] : ['b200', 'B200 180GB'];
  const chart = frame.locator('canvas').first();
  await sleep(1_000); // let the first drawing settle before taking its picture
  const before = await chart.evaluate((c) => c.toDataURL());
  await wb.screenshot('k-report-panel-before');
  await frame.locator('#c-gpu').selectOption(next);
  await poll(`the panel to redraw for the ${name}`, () => frame.locator('body').innerText(), (t) => t.includes(`usable on ${name}`), { timeoutMs: 60_000 });
  // The text updates with the data; the canvas is drawn on the next frames.
  const after = await poll('the memory chart to be redrawn for the H200', () => chart.evaluate((c) => c.toDataURL()), (url) => url !== before, { timeoutMs: 30_000 });
  log(`panel: ${current} → ${next}, memory chart redrawn (${before.length} → ${after.length} bytes of PNG)`);
  if (DOC_SHOTS) {
    // The panel opens beside the config, in a part of the window; the picture shows it at the width a
    // reader would give it, then the layout goes back for the next steps. Its tab is clicked first:
    // an editor opened meanwhile (a slow profile's result) may have taken the focus.
    await wb.page.locator('.editor-group-container .tab', { hasText: 'Attention: ' }).last().click();
    const maximize = await wb.page.locator('.editor-group-container').count() > 1;
    if (maximize) await wb.runCommand('View: Toggle Maximize Editor Group');
    try {
      await frame.locator('body[data-rendered="true"]').waitFor({ timeout: 30_000 });
      await docShot('report-panel', async () => {
        await sleep(2_000); // Chart.js redraws for the new size
        // The panel's tab and page, down to the end of its first chart (KV memory vs context),
        // no wider than the page's content column.
        const panel = await wb.boxOf([wb.page.locator('.editor-group-container.active > .title'), wb.page.locator('iframe.webview.ready').last()]);
        const app = await frame.locator('#app').boundingBox();
        const memory = await frame.locator('#memory').boundingBox();
        return {
          x: panel.x, y: panel.y,
          width: Math.min(panel.width, app ? app.x + app.width + 24 - panel.x : panel.width),
          height: Math.min(panel.height, memory ? memory.y + memory.height + 12 - panel.y : panel.height),
        };
      });
    } finally {
      if (maximize) await wb.runCommand('View: Toggle Maximize Editor Group');
    }
  }
});

step('l-sidebar', 'l. the sidebar lists every example config with its variant', async () => {
  const expected = readdirSync(join(REPO, 'examples'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  const rows = await poll('every example in the Model Configs tree', () => wb.sidebarRows(),
    (rs) => expected.every((name) => rs.some((r) => r.includes(name))), { timeoutMs: 60_000 });
  log(`sidebar: ${rows.length} rows, e.g. ${rows.find((r) => r.includes('llama-3.1-8b'))}`);
  assert.ok(rows.some((r) => r.includes('llama-3.1-8b') && /GQA/.test(r)), 'the GQA config shows its variant');
  if (DOC_SHOTS) {
    // Wide enough for every row's variant and KV per token, as a reader would drag it; back after.
    const widenPx = 90;
    await wb.resizeSidebar(widenPx);
    await docShot('sidebar', async () => {
      await sleep(1_000); // the tree relayouts; the sash's highlight fades
      const bars = await wb.boxOf([wb.page.locator('.part.activitybar'), wb.page.locator('.part.sidebar')]);
      // Down to the last pane's content, not the empty rest of the side bar.
      const content = await wb.boxOf([wb.page.locator('.part.sidebar :is(.pane-header, .monaco-list-row, .welcome-view-content)')], bars);
      return { ...bars, height: content.y + content.height + 16 - bars.y };
    });
    await wb.resizeSidebar(-widenPx);
  }
});

step('m-measure-quality', 'm. "Attention Lens: Measure Quality on Local Weights" reads the tiny model\'s safetensors in the worker; the hover then shows the measured error', async () => {
  await wb.quickOpen(FILES.tiny);
  await lensesWhere('the tiny GQA model', (ts) => ts.some((t) => t.startsWith('GQA · 8 q / 4 kv heads')));
  await wb.runCommand('Attention Lens: Measure Quality on Local Weights');
  const shown = await poll('the quality results', async () => ({ tab: await wb.activeTabLabel(), text: await wb.editorText() }),
    (s) => /quality/i.test(s.tab) && /Measured on this model's weights/.test(s.text), { timeoutMs: 60_000 });
  log(`quality tab "${shown.tab}": ${shown.text.split('\n').slice(0, 2).join(' / ')}`);
  // Its KV heads are duplicates in pairs: GQA-2 pooling loses nothing; MQA does.
  assert.match(shown.text, /gqa-2\s+0\.000%\s+0\.000%/);
  assert.match(shown.text, /mqa\s+\d+\.\d%/);
  await wb.quickOpen(FILES.tiny);
  const hover = await wb.hoverToken('num_key_value_heads', (t) => t.includes("GQA-2 on this model's weights"));
  assert.match(hover, /GQA-2 on this model's weights: K error 0\.000%, V error 0\.000%/);
  log(`hover: ${hover.slice(hover.indexOf('GQA-2 on'), hover.indexOf('GQA-2 on') + 120)}…`);
  // The report panel of the tiny model draws the measurement beside the published evidence.
  await wb.clickCodeLens('GQA · 8 q / 4 kv heads');
  const frame = wb.webviewFrame();
  await poll('the tiny model\'s report panel', () => frame.locator('h1').innerText().catch(() => ''), (t) => t.includes('tiny-gqa'), { timeoutMs: 60_000 });
  await frame.locator('body[data-rendered="true"]').waitFor({ timeout: 60_000 });
  const table = await poll('the weight-error table', () => frame.locator('#table-weights').textContent().catch(() => ''),
    (t) => /GQA-2/.test(t ?? '') && /0\.000%/.test(t ?? ''), { timeoutMs: 30_000 });
  assert.match(table, /MQA/);
  await frame.locator('#quality-weights').scrollIntoViewIfNeeded();
  await wb.screenshot('m-report-weights');
  log(`panel weight errors: ${table.replace(/\s+/g, ' ').slice(0, 160)}…`);
});
