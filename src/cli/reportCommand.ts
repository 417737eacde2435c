/**
 * `attention-lens report`: the same report page as the editor's panel, as one self-contained HTML file
 * (the page's bundle and the data inlined, no remote resources) or, with --json, the data itself.
 * `--quality F` adds a weight measurement (the JSON `attention-lens quality --json` writes).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildReportData } from '../core/reportData';
import { readMeasurement, type MeasurementInput } from '../core/reportMeasured';
import type { ModelInput } from '../core/report';
import { exportPage, reportAssetPaths } from '../shared/reportPage';
import { GENERATOR } from '../shared/version';
import type { CliRequest } from './args';
import { ggufsBeside } from './launchCommand';

export async function runReportCommand(input: ModelInput, request: CliRequest, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  let measurement: MeasurementInput | undefined;
  if (request.qualityFile !== undefined) {
    const m = loadMeasurement(request.qualityFile, input.file, io);
    if (typeof m === 'string') {
      io.err(`attention-lens: report: --quality ${request.qualityFile}: ${m}`);
      return 2;
    }
    measurement = m;
  }
  const data = buildReportData({ input, options: request.options, measurement, generator: `${GENERATOR} (CLI)`, launch: { ggufs: await ggufsBeside(input.file) } });
  if (request.json && request.out === undefined) {
    io.out(JSON.stringify(data, null, 2));
    return 0;
  }
  const paths = reportAssetPaths(__dirname);
  let assets;
  try {
    assets = { script: readFileSync(paths.script, 'utf8'), css: readFileSync(paths.css, 'utf8') };
  } catch {
    io.err(`attention-lens: report: the report page bundle is missing (${path.dirname(paths.script)}); run npm run build`);
    return 1;
  }
  const out = request.out ?? `${data.title}.attention-report.${request.json ? 'json' : 'html'}`;
  const text = request.json ? JSON.stringify(data, null, 2) : exportPage(assets, data);
  try {
    writeFileSync(out, text);
  } catch (e) {
    io.err(`attention-lens: report: cannot write ${out}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  io.err(`attention-lens: wrote ${out} (${Math.round(Buffer.byteLength(text) / 1024)} KiB)`);
  return 0;
}

/** Reads and checks a measurement file; warns (and goes on) when it names another config or holds no weights. */
function loadMeasurement(file: string, configFile: string, io: { err: (s: string) => void }): MeasurementInput | string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return `cannot read it (${e instanceof Error ? e.message : String(e)})`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return `not JSON (${e instanceof Error ? e.message : String(e)}); give the output of attention-lens quality <config> --json`;
  }
  const m = readMeasurement(parsed);
  if (typeof m === 'string') return m;
  const named = (parsed as { file?: unknown }).file;
  // The quality command records the config path as it was given, relative to where it ran: a hint, not proof.
  if (typeof named === 'string' && path.resolve(named) !== path.resolve(configFile)) {
    io.err(`attention-lens: report: warning: ${file} was measured for ${named}, not ${configFile}; drawn as this config's measurement`);
  }
  if (!m.weights.found) io.err(`attention-lens: report: ${file} holds no weight measurement (no safetensors were found next to its config): nothing measured to draw`);
  return m;
}
