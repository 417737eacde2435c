// Playwright helpers that drive the VS Code workbench the way a user does (keyboard, Quick Open,
// command palette, mouse) and read back what it shows from the DOM.
//
// The selectors are Monaco's and the workbench's own class names; they are not an API, so every
// read is kept in one place here. Every wait polls with a deadline and, on timeout, says what it
// last saw, because "timed out" alone does not tell a missing lens from a wrong title.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
// Resolved from test/e2e/node_modules first, then the repository's node_modules, so this works
// whether playwright-core is installed by the harness or as a root devDependency.
import { chromium } from 'playwright-core';
import { CHROMIUM } from './install.mjs';

// Without the networking flags Chromium keeps dialling Google's hosts, which the closed network
// refuses; --no-sandbox because CI runs as root; --disable-dev-shm-usage because containers often
// give /dev/shm only 64 MB, too little for the workbench's renderer.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Generous by default: a 2-core CI box starts the extension host and language servers slowly. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Calls `probe` until `accept(result)` holds; returns the accepted result. On timeout throws with
 * the last result seen.
 */
export async function poll(what, probe, accept, { timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = 500 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  const seen = lastError ? `error: ${lastError.message}` : JSON.stringify(last, null, 1);
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last seen: ${seen}`);
}

const norm = (s) => (s ?? '').replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim();

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

export class Workbench {
  /** @param {import('playwright-core').Page} page @param {string} artifactsDir */
  constructor(page, artifactsDir) {
    this.page = page;
    this.artifactsDir = artifactsDir;
    /** Browser console errors, for the failure report. */
    this.consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') this.consoleErrors.push(m.text().slice(0, 300)); });
    page.on('pageerror', (e) => this.consoleErrors.push(`pageerror: ${e.message.slice(0, 300)}`));
  }

  /** Opens the workbench at `url` and waits until it can take keyboard input. */
  static async open(browser, url, artifactsDir) {
    mkdirSync(artifactsDir, { recursive: true });
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const wb = new Workbench(page, artifactsDir);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: DEFAULT_TIMEOUT_MS });
    // The explorer lists the folder once the remote connection is up; keystrokes sent earlier can
    // be lost while the workbench is still restoring.
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: DEFAULT_TIMEOUT_MS });
    return wb;
  }

  async screenshot(name) {
    const path = join(this.artifactsDir, `${name}.png`);
    await this.page.screenshot({ path, timeout: 15_000 });
    return path;
  }

  /**
   * Screenshot of one part of the window: `box` (page CSS pixels, e.g. from `boxOf`) grown by `pad`
   * and kept inside the viewport, written to `path`. The editor's blinking cursor is hidden, so
   * two runs over the same state give the same picture. Returns the PNG's size in bytes.
   */
  async screenshotClip(path, box, { pad = 0 } = {}) {
    const view = this.page.viewportSize();
    const x = Math.max(0, Math.floor(box.x - pad));
    const y = Math.max(0, Math.floor(box.y - pad));
    const clip = {
      x, y,
      width: Math.min(view.width, Math.ceil(box.x + box.width + pad)) - x,
      height: Math.min(view.height, Math.ceil(box.y + box.height + pad)) - y,
    };
    const png = await this.page.screenshot({
      path, clip, timeout: 15_000, animations: 'disabled',
      // Progress toasts of a run still going would cover the picture.
      style: '.monaco-editor .cursors-layer { visibility: hidden !important; } .notifications-toasts { display: none !important; }',
    });
    return png.length;
  }

  /**
   * The smallest box (page CSS pixels) holding every visible element the locators match; `cut`
   * (optional) then limits it to a box, e.g. to keep a hover's box inside the editor's. Throws when
   * nothing matched, so a screenshot never silently shows the wrong place.
   */
  async boxOf(locators, cut) {
    const boxes = [];
    for (const l of locators) {
      boxes.push(...await l.evaluateAll((els) => els
        .filter((e) => e.checkVisibility())
        .map((e) => e.getBoundingClientRect())
        .filter((r) => r.width > 0 && r.height > 0)
        .map((r) => ({ x: r.x, y: r.y, width: r.width, height: r.height }))));
    }
    if (boxes.length === 0) throw new Error('boxOf: none of the elements is visible');
    let x0 = Math.min(...boxes.map((b) => b.x));
    let y0 = Math.min(...boxes.map((b) => b.y));
    let x1 = Math.max(...boxes.map((b) => b.x + b.width));
    let y1 = Math.max(...boxes.map((b) => b.y + b.height));
    if (cut) {
      x0 = Math.max(x0, cut.x); y0 = Math.max(y0, cut.y);
      x1 = Math.min(x1, cut.x + cut.width); y1 = Math.min(y1, cut.y + cut.height);
    }
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }

  /**
   * Drags the primary side bar's edge (its sash) by `dx` pixels, as a user widens or narrows it,
   * then parks the mouse over the editor's empty lower right so no tooltip or sash highlight stays.
   */
  async resizeSidebar(dx) {
    const bar = await this.boxOf([this.page.locator('.part.sidebar')]);
    const [x, y] = [bar.x + bar.width, bar.y + bar.height / 2];
    await this.page.mouse.move(x, y);
    await this.page.mouse.down();
    await this.page.mouse.move(x + dx, y, { steps: 8 });
    await this.page.mouse.up();
    const view = this.page.viewportSize();
    await this.page.mouse.move(view.width - 40, view.height - 60);
  }

  /** Text of the status bar items, one string each. */
  async statusBarItems() {
    return this.page.locator('.statusbar .statusbar-item').evaluateAll((els) => els.map((e) => e.innerText));
  }

  /** Opens a workspace file by typing its relative path into Quick Open (Ctrl+P). */
  async quickOpen(relPath) {
    const [dir, file] = [relPath.slice(0, relPath.lastIndexOf('/')), relPath.slice(relPath.lastIndexOf('/') + 1)];
    const input = await this.#openQuickInput('Control+P', '');
    await input.fill(relPath);
    // File search is asynchronous; Enter before the right row is focused opens the wrong file.
    await poll(`Quick Open to focus ${relPath}`,
      () => this.page.locator('.quick-input-list .monaco-list-row.focused').first().getAttribute('aria-label', { timeout: 2_000 }),
      (label) => Boolean(label) && label.includes(file) && label.includes(dir), { timeoutMs: 30_000 });
    await this.page.keyboard.press('Enter');
    await this.waitForActiveFile(relPath);
  }

  /** Waits until the active editor shows `relPath` (per its breadcrumbs) and has rendered text. */
  async waitForActiveFile(relPath) {
    const parts = relPath.split('/');
    const group = this.page.locator('.editor-group-container.active');
    await poll(`the active editor to show ${relPath}`, async () => ({
      breadcrumbs: norm(await group.locator('.breadcrumbs-control').first().innerText({ timeout: 2_000 })),
      lines: await group.locator('.monaco-editor .view-line').count(),
    }), (s) => parts.every((p) => s.breadcrumbs.includes(p)) && s.lines > 0, { timeoutMs: 30_000 });
  }

  /**
   * Runs a command by its palette label: F1, type the label, then pick the row whose label is
   * exactly that (rows read "Label" or "Label, Keybinding"); the palette's own first pick is
   * often a longer label that merely contains the typed text.
   */
  async runCommand(label) {
    const input = await this.#openQuickInput('F1', '>');
    await input.fill(`>${label}`);
    const labels = await poll(`the command palette to list "${label}"`,
      () => this.page.locator('.quick-input-list .monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? '')),
      (ls) => ls.some((l) => l === label || l.startsWith(`${label}, `)), { timeoutMs: 30_000 });
    const index = labels.findIndex((l) => l === label || l.startsWith(`${label}, `));
    await this.page.locator('.quick-input-list .monaco-list-row').nth(index).click();
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
  }

  /**
   * Runs a palette command that answers with a quick pick of its own, and picks the row whose label
   * starts with `pick` (typing it first, as a user would, to filter the list).
   */
  async runCommandAndPick(label, pick) {
    const input = await this.#openQuickInput('F1', '>');
    await input.fill(`>${label}`);
    const rows = this.page.locator('.quick-input-list .monaco-list-row');
    const labels = await poll(`the command palette to list "${label}"`,
      () => rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? '')),
      (ls) => ls.some((l) => l === label || l.startsWith(`${label}, `)), { timeoutMs: 30_000 });
    await rows.nth(labels.findIndex((l) => l === label || l.startsWith(`${label}, `))).click();
    // The command's own quick pick replaces the palette in the same widget.
    await poll('the command\'s quick pick', () => input.inputValue(), (v) => !v.startsWith('>'), { timeoutMs: 20_000 });
    await input.fill(pick);
    const picks = await poll(`the quick pick to list "${pick}"`,
      () => rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? '')),
      (ls) => ls.some((l) => l.startsWith(pick)), { timeoutMs: 20_000 });
    await rows.nth(picks.findIndex((l) => l.startsWith(pick))).click();
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
  }

  /** Texts of the notifications on screen (toasts), progress ones included. */
  async notifications() {
    return this.page.locator('.notifications-toasts .notification-list-item').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  }

  async #openQuickInput(key, expectedPrefix) {
    const widget = this.page.locator('.quick-input-widget');
    const input = widget.locator('.quick-input-box input');
    // A quick input still open (or still closing) from an earlier step would take the keys.
    if (await widget.isVisible()) {
      await this.page.keyboard.press('Escape');
      await widget.waitFor({ state: 'hidden', timeout: 5_000 });
    }
    // A key press can race the workbench's own focus handling; retry rather than fail on one miss.
    await poll(`the quick input to open (${key})`, async () => {
      if (!(await widget.isVisible())) await this.page.keyboard.press(key);
      await input.waitFor({ state: 'visible', timeout: 3_000 });
      return (await input.inputValue()).startsWith(expectedPrefix);
    }, Boolean, { timeoutMs: 20_000 });
    return input;
  }

  /** The active editor's code lens titles (anchors with commands, spans without), in order. */
  /** Clicks the code lens whose title is `title` in the active editor. */
  async clickCodeLens(title) {
    const lens = this.page.locator('.editor-group-container.active .monaco-editor .codelens-decoration > a').filter({ hasText: title }).first();
    await lens.click({ timeout: 30_000 });
  }

  /** The page inside the newest webview (the report panel): VS Code nests it in two iframes. */
  webviewFrame() {
    return this.page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
  }

  /** Shows the Attention Lens view container and returns the rows of its Model Configs tree. */
  async sidebarRows() {
    const item = this.page.locator('.activitybar .action-item a[aria-label^="Attention Lens"], .activitybar .action-item[aria-label^="Attention Lens"]').first();
    const pane = this.page.locator('.pane-header', { hasText: /Model Configs/i });
    if (!(await pane.isVisible())) await item.click({ timeout: 30_000 });
    await pane.first().waitFor({ state: 'visible', timeout: 30_000 });
    return this.page.locator('.pane', { has: this.page.locator('.pane-header', { hasText: /Model Configs/i }) }).locator('.monaco-list-row')
      .evaluateAll((els) => els.map((e) => (e.getAttribute('aria-label') ?? e.textContent ?? '').trim()));
  }

  async codeLensTitles() {
    const titles = await this.page.locator('.editor-group-container.active .monaco-editor .codelens-decoration > :is(a, span)')
      .evaluateAll((els) => els.map((e) => e.textContent));
    return titles.map(norm).filter((t) => t && t !== '|');
  }

  /** The active editor's rendered lines (Monaco renders only those in view). */
  async editorText() {
    const lines = await this.page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line')
      .evaluateAll((els) => els
        .map((e) => ({ top: parseFloat(e.style.top) || 0, text: e.textContent }))
        .sort((a, b) => a.top - b.top)
        .map((l) => l.text));
    return lines.map((l) => l.replace(/\u00a0/g, ' ')).join('\n');
  }

  /** The active tab's label. */
  async activeTabLabel() {
    return norm(await this.page.locator('.editor-group-container.active .tab.active').first().innerText({ timeout: 5_000 }));
  }

  /**
   * Moves the mouse onto the first rendered token whose text is `token` (JSON keys render with
   * their quotes) and returns the text of the visible hover once `accept` holds.
   */
  async hoverToken(token, accept) {
    const span = this.page.locator('.editor-group-container.active .monaco-editor .view-line span span', { hasText: token })
      .filter({ hasText: new RegExp(`^"?${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?$`) }).first();
    await span.waitFor({ state: 'visible', timeout: 10_000 });
    return poll(`a hover over ${token}`, async () => {
      // Leave the editor and dismiss any hover first: a hover shown for another token can sit
      // right over this one and keep itself open while the mouse is on it. Then enter the token
      // in one jump (no path across other tokens) and move within it, since Monaco shows hovers
      // on mouse movement.
      await this.page.mouse.move(0, 0);
      await this.page.keyboard.press('Escape');
      await sleep(500);
      const box = await span.boundingBox();
      const y = box.y + box.height / 2;
      await this.page.mouse.move(box.x + box.width / 2 - 3, y);
      await this.page.mouse.move(box.x + box.width / 2, y);
      await sleep(1_000);
      return this.visibleHoverText();
    }, accept, { intervalMs: 250 });
  }

  async visibleHoverText() {
    const texts = await this.page.locator('.monaco-hover').evaluateAll((els) => els
      .filter((e) => !e.classList.contains('hidden') && e.checkVisibility())
      .map((e) => e.innerText));
    return norm(texts.join('\n'));
  }

  /** True while the status bar shows the Restricted Mode indicator (folder not trusted). */
  async isRestricted() {
    return (await this.statusBarItems()).some((s) => /Restricted Mode/.test(s));
  }

  /**
   * Trusts the open folder the way a user does: "Workspaces: Manage Workspace Trust", then the
   * Trust button; closes the trust editor afterwards.
   */
  async trustWorkspace() {
    await this.runCommand('Workspaces: Manage Workspace Trust');
    const trust = this.page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first();
    await trust.click({ timeout: 30_000 });
    await poll('Restricted Mode to end', () => this.isRestricted(), (r) => !r, { timeoutMs: 30_000 });
    await this.runCommand('View: Close Editor');
  }

  /** Opens the Problems panel (Ctrl+Shift+M toggles it, so only when it is not showing). */
  async showProblems() {
    const panel = this.page.locator('.markers-panel');
    await poll('the Problems panel to open', async () => {
      if (!(await panel.isVisible())) {
        await this.page.keyboard.press('Control+Shift+M');
        await panel.waitFor({ state: 'visible', timeout: 3_000 });
      }
      return true;
    }, Boolean, { timeoutMs: 20_000 });
  }

  /** Rows of the Problems panel (files and their markers), as shown. */
  async problemRows() {
    return this.page.locator('.markers-panel .monaco-list-row').evaluateAll((els) => els.map((e) => e.innerText))
      .then((rows) => rows.map(norm));
  }

  async close() {
    await this.page.context().close();
  }
}
