/**
 * `attention-lens report` through the built CLI (dist/cli.js, built by `npm test` first): one
 * self-contained HTML file with the data inlined and nothing remote; bad input exits 2 with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ReportData } from '../../src/shared/reportProtocol';
import { FIXTURES, ROOT } from './helpers';

const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8', cwd: ROOT });

test('report writes one self-contained HTML page under 1 MB with the data inlined', () => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'al-report-')), 'r.html');
  const r = cli('report', path.join(FIXTURES, 'deepseek-v3.json'), '--out', out, '--gpu', 'h200', '--tp', '8');
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.ok(statSync(out).size < 1024 * 1024, `${statSync(out).size} bytes`);
  assert.match(html, /Content-Security-Policy/);
  assert.match(html, /<script type="application\/json" id="report-data"/);
  // Nothing to fetch: no src/href pointing anywhere but the page itself.
  assert.doesNotMatch(html, /\s(src|href)=["']?(https?:)?\/\//i);
  const json = html.match(/id="report-data"[^>]*>([\s\S]*?)<\/script>/)![1]!;
  const data = JSON.parse(json) as ReportData;
  assert.equal(data.summary.bytesPerToken, 1152 * 61 * 8, 'the MLA latent replicated on 8 GPUs (FlashMLA F10.3 per GPU)');
  assert.equal(data.choices.tp, 8);
});

test('report --json prints the data; bad options exit 2 with one line', () => {
  const r = cli('report', path.join(FIXTURES, 'llama-3.1-8b.json'), '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as ReportData).summary.bytesPerToken, 131072);
  const bad = cli('kv', path.join(FIXTURES, 'llama-3.1-8b.json'), '--out', 'x.html');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr.trim(), /^attention-lens: --out belongs to attention-lens report$/);
  const unwritable = cli('report', path.join(FIXTURES, 'llama-3.1-8b.json'), '--out', '/nonexistent-dir/r.html');
  assert.equal(unwritable.status, 2);
  assert.match(unwritable.stderr, /cannot write \/nonexistent-dir\/r\.html/);
});
