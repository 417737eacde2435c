/**
 * `attention-lens launch <config> --runtime vllm|sglang|llamacpp`: the engine's launch command, as
 * commented shell text or, with --json, the plan. The only I/O here: listing the GGUFs beside the config.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { buildLaunch } from '../core/launch';
import type { ModelInput } from '../core/report';
import { renderLaunch } from '../core/text/renderLaunch';
import type { CliRequest } from './args';

export async function runLaunchCommand(input: ModelInput, request: CliRequest, io: { out: (s: string) => void }): Promise<number> {
  const ggufs = request.launchRuntime === 'llamacpp' ? await ggufsBeside(input.file) : [];
  const plan = buildLaunch(input, request.options, request.launchRuntime!, { ggufs });
  io.out(request.json ? JSON.stringify(plan, null, 2) : renderLaunch(plan));
  return 0;
}

/** *.gguf names in the config's folder; none when it cannot be listed (the command then says to convert). */
export async function ggufsBeside(configFile: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(path.dirname(configFile), { withFileTypes: true });
    return entries.filter((e) => e.isFile() && /\.gguf$/i.test(e.name)).map((e) => e.name);
  } catch {
    return [];
  }
}
