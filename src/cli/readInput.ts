/**
 * Finds and reads a config for the CLI: a file or a folder holding config.json, size-checked before
 * reading, with model.safetensors.index.json picked up from beside it.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../core/errors';
import { MAX_CONFIG_BYTES } from '../core/jsonSource';
import type { ModelInput } from '../core/report';

export async function readModelInput(configPath: string): Promise<ModelInput> {
  let file = configPath;
  const stat = await statOrFail(file);
  if (stat.isDirectory()) {
    file = path.join(configPath, 'config.json');
    await statOrFail(file, `${configPath} is a folder without config.json`);
  }
  const fileStat = await fs.stat(file);
  if (!fileStat.isFile()) throw fail(file, 'not-file', 'is not a regular file', 'Give the path of a config.json.');
  if (fileStat.size > MAX_CONFIG_BYTES) {
    throw fail(file, 'too-large', `file is ${(fileStat.size / 1048576).toFixed(1)} MiB; model configs are a few KB (limit ${MAX_CONFIG_BYTES / 1048576} MiB)`, "Point at the model's config.json, not at weights, tokenizer or index files.");
  }
  const buffer = await fs.readFile(file);
  if (buffer.includes(0)) throw fail(file, 'binary', 'is a binary file, not JSON', "Point at the model's config.json.");
  const text = buffer.toString('utf8').replace(/^\uFEFF/, '');
  const input: ModelInput = { file, text };
  const index = path.join(path.dirname(file), 'model.safetensors.index.json');
  try {
    const s = await fs.stat(index);
    if (s.isFile() && s.size < 64 * 1048576) input.indexText = await fs.readFile(index, 'utf8');
  } catch {
    // No index next to the config: weights are estimated from the config.
  }
  return input;
}

async function statOrFail(file: string, missing?: string): Promise<import('node:fs').Stats> {
  try {
    return await fs.stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw fail(file, 'not-found', missing ?? 'no such file', 'Check the path.');
    if (code === 'EACCES') throw fail(file, 'no-access', 'permission denied', 'Check the file permissions.');
    throw fail(file, 'unreadable', `cannot read (${code ?? 'error'})`, 'Check the path.');
  }
}

function fail(file: string, code: string, message: string, hint: string): ConfigError {
  return new ConfigError(file, { severity: 'error', code, message, hint });
}
