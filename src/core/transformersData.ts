/**
 * The tables generated from transformers (generated/transformersDefaults.ts: 200 KB of object literal),
 * loaded on first use. Evaluating them takes about 20 ms, which activation would otherwise pay for every
 * JSON file opened, model config or not (a package.json never needs them). esbuild bundles a require()
 * of one of our modules as a module initialised when first required; tsc's CommonJS output is the same.
 */
import type * as Generated from './generated/transformersDefaults';

let loaded: typeof Generated | undefined;

export function transformersData(): typeof Generated {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the require() is what keeps the tables out of activation (above)
  loaded ??= require('./generated/transformersDefaults') as typeof Generated;
  return loaded;
}
