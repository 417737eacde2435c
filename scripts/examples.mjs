// The README's main job: the KV report and the what-if variants table of every bundled example config,
// and each one's report page as a self-contained HTML file in out/reports/ (open it in any browser).
import { readdirSync, existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'cli.js');
// ATTENTION_LENS_REPORTS_DIR: where the report pages go instead (the README-commands test writes into a temp dir).
const reports = process.env.ATTENTION_LENS_REPORTS_DIR ? resolve(process.env.ATTENTION_LENS_REPORTS_DIR) : join(root, 'out', 'reports');
mkdirSync(reports, { recursive: true });
const extra = process.argv.slice(2);
let failed = 0;
for (const name of readdirSync(join(root, 'examples')).sort()) {
  const config = join('examples', name, 'config.json');
  if (!existsSync(join(root, config))) continue;
  for (const command of ['kv', 'variants']) {
    const r = spawnSync(process.execPath, [cli, command, config, ...extra], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) failed++;
    process.stdout.write('\n');
  }
  const r = spawnSync(process.execPath, [cli, 'report', config, '--out', join(reports, `${name}.attention-report.html`), ...extra], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.stdout.write(`\nReport pages: ${reports}\n`);
process.exitCode = failed === 0 ? 0 : 1;
