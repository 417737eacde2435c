/**
 * `npm run test:readme`: runs every command README.md's code blocks show, as written, and fails on any
 * non-zero exit with the command and its stderr. `attention-lens …` runs the built CLI through a PATH
 * shim in a sandbox (a temp dir holding `examples/` and `dist/` as links, and `path/to/model/`: a tiny
 * Llama-shaped model written with test/helpers/safetensorsWriter.ts), so files the commands write
 * (`--out`, `> quality.json`, report pages) land there. `profile` runs at the smallest context with
 * `--samples 2 --warmup 1` on this machine's adapter (lavapipe in CI). What is not run here, and why (checked to name a real script, never a skipped test):
 * test/readme/commands.ts (SKIPPED); an unknown command fails.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../helpers/safetensorsWriter';
import { planFor, readmeCommands, SKIPPED } from './commands';

const ROOT = path.resolve(__dirname, '../../..');
const COMMAND_TIMEOUT_MS = 300_000;

const sandbox = mkdtempSync(path.join(tmpdir(), 'attention-lens-readme-'));
after(() => rmSync(sandbox, { recursive: true, force: true }));

/** The sandbox: examples/ and dist/ linked, a PATH shim for attention-lens, and path/to/model/. */
function prepareSandbox(): { env: NodeJS.ProcessEnv } {
  for (const dir of ['examples', 'dist']) symlinkSync(path.join(ROOT, dir), path.join(sandbox, dir), 'dir');
  const bin = path.join(sandbox, '.bin');
  mkdirSync(bin);
  const shim = path.join(bin, 'attention-lens');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, 'dist', 'cli.js')}" "$@"\n`);
  chmodSync(shim, 0o755);
  writeTinyModel(path.join(sandbox, 'path', 'to', 'model'));
  mkdirSync(path.join(sandbox, 'reports'));
  return {
    env: {
      ...process.env,
      PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
      ATTENTION_LENS_REPORTS_DIR: path.join(sandbox, 'reports'),
    },
  };
}

/**
 * A 4-layer Llama-shaped MHA model (8 heads × 32, hidden 256): config.json and model.safetensors with the
 * K/V projections and the embedding table `quality` reads. Small integers, so BF16 holds them exactly.
 */
function writeTinyModel(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const hidden = 256, heads = 8, headDim = 32, layers = 4, vocab = 64;
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: hidden, intermediate_size: 512, num_hidden_layers: layers,
    num_attention_heads: heads, num_key_value_heads: heads, head_dim: headDim, max_position_embeddings: 4096, vocab_size: vocab,
    rms_norm_eps: 1e-5, rope_theta: 10000.0, tie_word_embeddings: false, torch_dtype: 'bfloat16',
  }, null, 2));
  let seed = 12345;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed % 9) - 4;
  };
  const matrix = (rows: number, cols: number): Float32Array => Float32Array.from({ length: rows * cols }, next);
  const tensors: TensorToWrite[] = [{ name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [vocab, hidden], data: matrix(vocab, hidden) }];
  for (let l = 0; l < layers; l++) {
    for (const p of ['k_proj', 'v_proj']) {
      tensors.push({ name: `model.layers.${l}.self_attn.${p}.weight`, dtype: 'BF16', shape: [heads * headDim, hidden], data: matrix(heads * headDim, hidden) });
    }
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
}

/**
 * What a command says it writes is there: `--out FILE`, `> FILE`, the example report pages (in the sandbox);
 * a quality run on path/to/model/ read its weights.
 */
function checkOutputs(command: string, cwd: string): void {
  if (/^npm run example(\s|$)/.test(command)) {
    const examples = readdirSync(path.join(ROOT, 'examples'), { withFileTypes: true }).filter((d) => d.isDirectory()).length;
    const pages = readdirSync(path.join(sandbox, 'reports')).filter((f) => f.endsWith('.attention-report.html'));
    assert.equal(pages.length, examples, `npm run example: ${pages.length} report pages in the sandbox for ${examples} examples`);
  }
  const written = [/\s--out\s+(\S+)/.exec(command)?.[1], /\s>\s*(\S+)/.exec(command)?.[1]].filter((f): f is string => f !== undefined);
  for (const file of written) {
    const text = readFileSync(path.resolve(cwd, file), 'utf8');
    assert.ok(text.length > 0, `${command}: ${file} is empty`);
    if (/\squality\s+path\/to\/model\//.test(command) && file.endsWith('.json')) {
      const json = JSON.parse(text) as { weights?: { found?: boolean }; conversions?: unknown[] };
      assert.equal(json.weights?.found, true, `${command}: the tiny model's weights were not read`);
      assert.ok((json.conversions ?? []).length > 0, `${command}: nothing measured`);
    }
  }
}

const { env } = prepareSandbox();
const commands = readmeCommands(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));

test('README.md shows commands, and the test knows each', () => {
  assert.ok(commands.length > 0, 'no command found in README.md\'s code blocks');
  const unknown = commands.filter((c) => planFor(c.text) === undefined).map((c) => `README.md:${c.line}: ${c.text}`);
  assert.deepEqual(unknown, [], 'teach test/readme/commands.ts to run these (or add them to SKIPPED with the reason)');
});

// Commands the test does not run (installs, the suites themselves, benchmarks, packaging) are not skipped
// tests: each is checked to name something that exists — an npm script in package.json, the kit's script
// in scripts/ — and its reason is printed.
test('README commands not run here: each has its reason and names an npm script or file that exists', (t) => {
  const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const notRun = commands.map((c) => ({ c, plan: planFor(c.text) })).filter((x) => x.plan && !x.plan.run);
  assert.ok(notRun.length > 0, 'the README shows install and test commands: the list cannot be empty');
  for (const { c, plan } of notRun) {
    if (!plan || plan.run) continue;
    t.diagnostic(`README.md:${c.line}: ${c.text} — not run here: ${plan.reason}`);
    const script = /^npm run ([\w:-]+)/.exec(c.text)?.[1] ?? (/^npm test(\s|$)/.test(c.text) ? 'test' : undefined);
    if (script) assert.ok(script in scripts, `README.md:${c.line}: ${c.text}: package.json has no script "${script}"`);
    if (/^sh run-gpu-check\.sh/.test(c.text)) assert.ok(readdirSync(path.join(ROOT, 'scripts')).includes('run-gpu-check.sh'), 'scripts/run-gpu-check.sh');
  }
});

for (const c of commands) {
  const plan = planFor(c.text);
  if (!plan || !plan.run) continue; // unknown: failed above; not run: checked above
  test(`README.md:${c.line}: ${plan.command}`, () => {
    const started = Date.now();
    const r = spawnSync('bash', ['-c', plan.command], {
      cwd: plan.where === 'repo' ? ROOT : sandbox, env, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 2 ** 20,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const tail = (s: string): string => s.trim().split('\n').slice(-25).join('\n');
    const why = r.error ? `${r.error.message}${r.signal ? ` (${r.signal})` : ''}` : `exit ${r.status}`;
    assert.equal(r.status, 0, `README.md:${c.line}: ${plan.command}\n  (${plan.why}; ran in ${plan.where === 'repo' ? 'the repository' : sandbox})\n  ${why} after ${seconds} s\n--- stderr ---\n${tail(r.stderr ?? '')}\n--- stdout (last lines) ---\n${tail(r.stdout ?? '')}`);
    checkOutputs(plan.command, plan.where === 'repo' ? ROOT : sandbox);
  });
}

test('the skip list has a reason for every entry', () => {
  for (const s of SKIPPED) assert.ok(s.reason.length > 20, String(s.pattern));
});
