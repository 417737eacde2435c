/**
 * The quality worker's child process (dist/qualityWorker.mjs, ESM): reads only the K/V projection
 * tensors of the checkpoint beside a config and measures each conversion's weight-space error.
 * Protocol: src/shared/qualityProtocol.ts. The parent cancels by killing this process and enforces a
 * timeout. The WebGPU backend is a dynamic import (its own chunk): Dawn loads only if the run asks
 * for the GPU ('auto' or 'gpu') and has an MLA eigenproblem to give it.
 */
import * as path from 'node:path';
import { deriveAttentionSpec } from '../core/attentionSpec';
import { loadModelConfig } from '../core/modelConfig';
import { ConfigError } from '../core/errors';
import { isQualityRunRequest, type QualityEvent } from '../shared/qualityProtocol';
import { measureWeights } from './measure';
import { QualityInputError } from './safetensors';
import { parseMeasureTargets } from './targets';

const send = (event: QualityEvent): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(event, undefined, {}, () => resolve());
  });

async function handle(message: unknown): Promise<void> {
  if (!isQualityRunRequest(message)) {
    await send({ type: 'error', code: 'bad-request', message: 'the quality worker got a malformed request' });
    process.exit(1);
  }
  try {
    const spec = deriveAttentionSpec(loadModelConfig(message.configFile, message.configText));
    const result = await measureWeights({
      configDir: path.dirname(message.configFile),
      spec,
      targets: parseMeasureTargets(message.targets),
      calibrationTokens: message.calibrationTokens,
      device: message.device ?? 'auto',
      loadGpu: async () => (await import('./gpu/index')).openQualityGpu(),
      onProgress: (done, total, text) => void send({ type: 'progress', done, total, message: text }),
    });
    await send({ type: 'done', result });
  } catch (e) {
    const input = e instanceof QualityInputError || e instanceof ConfigError;
    await send({ type: 'error', code: input ? 'bad-input' : 'internal', message: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  }
  process.disconnect?.();
}

if (!process.send) {
  process.stderr.write('attention-lens quality worker: start me with child_process.fork (the CLI and the extension do)\n');
  process.exit(2);
}
process.once('message', (m) => void handle(m));
process.on('disconnect', () => process.exit(0));
void send({ type: 'ready' });
