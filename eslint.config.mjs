// @ts-check
/**
 * ESLint flat config: `npm run lint` (eslint .), run by .ci/run right after the type-check.
 *
 * - TypeScript: typescript-eslint's type-checked recommended rules, each file checked against the
 *   program of the tsconfig that builds it (src: tsconfig.json; test and bench: tsconfig.test.json; the
 *   GPU tests and benches: tsconfig.gpu.json; the report page: webview/report/tsconfig.json).
 * - JavaScript (scripts, the e2e/webview/kit tests, bench helpers): ESLint's recommended rules and the
 *   untyped typescript-eslint rules, with Node's globals; these files are in no tsconfig, so the rules
 *   that need types are off for them (tseslint.configs.disableTypeChecked).
 * - On both, the rules VS Code's extension samples add: microsoft/vscode-extension-samples
 *   webview-sample/eslint.config.mjs @ f6ce8b1 (curly, semi always, naming-convention of imports in
 *   camelCase or PascalCase, no-unused-vars with argsIgnorePattern '^_') and the generator's template
 *   microsoft/vscode-generator-code generators/app/templates/ext-command-web/eslint.config.mjs @ fcea699
 *   (curly, eqeqeq, no-throw-literal, semi). The samples use them as warnings; here they are errors so
 *   that the lint step fails CI instead of scrolling past. `semi` is ESLint's own rule (deprecated in
 *   favour of @stylistic/semi, which the samples use; still in ESLint 10, so no extra plugin).
 */
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores([
    'dist/**',
    'out/**',
    '**/node_modules/**',
    'test-artifacts/**',
    '.gl/**',
    '.vscode-test/**',
    // Written by scripts/gen-transformers-defaults.mjs from transformers' sources; fix the generator.
    'src/core/generated/**',
    'bench/results/**',
  ]),
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Not projectService: it only finds files named tsconfig.json, and test/ and bench/ are built
        // by tsconfig.test.json / tsconfig.gpu.json. The first project that includes a file lints it.
        project: [
          './tsconfig.json',
          './tsconfig.test.json',
          './tsconfig.gpu.json',
          './webview/report/tsconfig.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    rules: {
      // From VS Code's extension samples (see the header).
      // 'multi-line': a one-line `if (x) return y;` keeps no braces (about 1,700 guards in this codebase
      // are written so); a body on the next line must have them — the case curly exists to catch.
      curly: ['error', 'multi-line'],
      eqeqeq: 'error',
      'no-throw-literal': 'error',
      semi: ['error', 'always'],
      '@typescript-eslint/naming-convention': ['error', { selector: 'import', format: ['camelCase', 'PascalCase'] }],
      // argsIgnorePattern as the samples; besides, this codebase drops keys by destructuring
      // (`const { report: _r, ...rest } = x`) and skips tuple slots (`[_k, v]`), each named with '_'.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true, destructuredArrayIgnorePattern: '^_' },
      ],
      // node:test's test()/describe()/it() return promises that the runner itself awaits (their
      // documented use is a bare call); every other promise must be awaited or marked `void`.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { ...globals.node },
    },
  },
  {
    // Playwright tests: the functions given to page.evaluate() run in the page.
    files: ['test/webview/**/*.mjs', 'test/e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: {
      // CommonJS files load modules with require() by definition.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
);
