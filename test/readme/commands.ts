/**
 * The commands README.md shows in its fenced code blocks, and what the README-commands test does with
 * each: run it (as written, on the bundled examples and a tiny generated model) or skip it for a stated
 * reason. A command neither list knows is an error, so a new README command cannot go untested unseen.
 */

export interface ReadmeCommand {
  /** 1-based line in README.md. */
  line: number;
  /** One command: a `&&` chain is split, a trailing `# comment` and a `$ ` prompt dropped. */
  text: string;
}

/**
 * Commands in fenced blocks: every line of a `sh`/`bash`/`shell` block, and the `$ `-prompted lines of a
 * block without a language or a `console` block (the rest of such a block is the command's output).
 * `json`/`jsonc` and other languages hold no commands.
 */
export function readmeCommands(markdown: string): ReadmeCommand[] {
  const out: ReadmeCommand[] = [];
  let fence: { lang: string } | undefined;
  markdown.split('\n').forEach((raw, i) => {
    const open = /^\s*```\s*([\w-]*)/.exec(raw);
    if (open) {
      fence = fence ? undefined : { lang: (open[1] ?? '').toLowerCase() };
      return;
    }
    if (!fence) return;
    const shell = ['sh', 'bash', 'shell'].includes(fence.lang);
    const prompted = fence.lang === '' || fence.lang === 'console';
    if (!shell && !prompted) return;
    let line = raw.trim();
    if (prompted) {
      if (!line.startsWith('$ ')) return;
      line = line.slice(2);
    }
    line = line.replace(/\s+#\s.*$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    for (const part of line.split('&&')) {
      const text = part.trim();
      if (text) out.push({ line: i + 1, text });
    }
  });
  return out;
}

export type Plan =
  | { run: false; reason: string }
  /** `where`: the repository root (npm scripts) or the sandbox (examples/, dist/ and path/to/model/ in a temp dir). */
  | { run: true; where: 'repo' | 'sandbox'; command: string; why: string };

/** Commands shown but not run here, each with the reason. */
export const SKIPPED: ReadonlyArray<{ pattern: RegExp; reason: string }> = [
  { pattern: /^npm ci(\s|$)/, reason: 'installs the dependencies: the test runs in the installed tree' },
  { pattern: /^npm link(\s|$)/, reason: 'puts attention-lens on the global PATH; the test runs it through a PATH shim instead' },
  { pattern: /^npm (test|run test(:[\w-]+)?)(\s|$)/, reason: 'the test suites themselves: .ci/run runs each of them' },
  { pattern: /^npm run bench(:[\w-]+)?(\s|$)/, reason: 'benchmarks (minutes on lavapipe): reported, never pass/fail' },
  { pattern: /^npm run gpu:check(\s|$)/, reason: 'the GPU machine check (GPU tests, kernel benchmark, quality), minutes; .ci/run runs the GPU tests' },
  { pattern: /^npm run package(\s|$)/, reason: 'builds the VSIX: .ci/run builds it after the tests and the e2e test installs and drives it' },
  { pattern: /^(code|code-server)(\s|$)/, reason: 'installs into a VS Code: the e2e test installs the VSIX into code-server' },
  { pattern: /^sh run-gpu-check\.sh(\s|$)/, reason: 'runs the GPU kit on a GPU host after `npm run gpu:kit`; `npm run test:kit` runs it in CI' },
];

/** What the test does with one README command; undefined when it does not know the command. */
export function planFor(text: string): Plan | undefined {
  const skip = SKIPPED.find((s) => s.pattern.test(text));
  if (skip) return { run: false, reason: skip.reason };
  if (/^npm run example(\s|$)/.test(text)) {
    return { run: true, where: 'repo', command: text, why: 'the README\'s main job (its report pages go to the sandbox)' };
  }
  if (/^(attention-lens|node dist\/cli\.js)\s/.test(text)) {
    const profile = /^(attention-lens|node dist\/cli\.js)\s+profile\s/.test(text) && !/\s--list-adapters(\s|$)/.test(text);
    return profile
      ? { run: true, where: 'sandbox', command: quickProfile(text), why: 'profile on this machine\'s adapter, 2 samples at the smallest context' }
      : { run: true, where: 'sandbox', command: text, why: 'the CLI on the bundled examples and a tiny generated model' };
  }
  return undefined;
}

function contextTokens(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text);
  if (!m) return Number.POSITIVE_INFINITY;
  return Number(m[1]) * ({ '': 1, k: 1024, m: 1024 * 1024 }[m[2]!.toLowerCase()] ?? 1);
}

/**
 * A profile command as a quick check: its smallest context only, `--samples 2 --warmup 1`. Everything
 * else (variants, mode, kernel) stays as the README writes it.
 */
export function quickProfile(command: string): string {
  const tokens = command.split(/\s+/);
  const set = (flag: string, value: string): void => {
    const at = tokens.indexOf(flag);
    if (at >= 0 && at + 1 < tokens.length) tokens[at + 1] = value;
    else tokens.push(flag, value);
  };
  const at = tokens.indexOf('--contexts');
  const contexts = at >= 0 ? (tokens[at + 1] ?? '').split(',').filter(Boolean) : [];
  set('--contexts', contexts.length > 0 ? contexts.reduce((a, b) => (contextTokens(b) < contextTokens(a) ? b : a)) : '1k');
  set('--samples', '2');
  set('--warmup', '1');
  return tokens.join(' ');
}
