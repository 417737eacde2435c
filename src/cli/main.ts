/**
 * `attention-lens` CLI: a thin adapter over the engine. Exit 0 on success; 2 on bad input or usage
 * with one line on stderr naming the file, the key and the line; 1 (never a stack trace) on a bug.
 */
import { ConfigError, UsageError } from '../core/errors';
import { buildKvReport, buildVariantsReport } from '../core/report';
import { HELP, parseCli } from './args';
import { readModelInput } from './readInput';
import { renderKvReport, renderVariants } from '../core/text/render';
import { runListAdaptersCommand, runProfileCommand } from './profileCommand';
import { runReportCommand } from './reportCommand';
import { runQualityCommand } from './qualityCommand';
import { runLaunchCommand } from './launchCommand';
import { VERSION } from '../shared/version';


export async function run(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  try {
    const request = parseCli(argv);
    if (request.command === 'help') {
      io.out(HELP);
      return 0;
    }
    if (request.command === 'version') {
      io.out(VERSION);
      return 0;
    }
    if (request.command === 'profile' && request.listAdapters) return await runListAdaptersCommand(request, io);
    const input = await readModelInput(request.configPath!);
    if (request.command === 'profile') return await runProfileCommand(input, request, io);
    if (request.command === 'report') return await runReportCommand(input, request, io);
    if (request.command === 'quality') return await runQualityCommand(input, request, io);
    if (request.command === 'launch') return await runLaunchCommand(input, request, io);
    if (request.command === 'kv') {
      const report = buildKvReport(input, request.options);
      io.out(request.json ? JSON.stringify(request.explain ? { ...report.json, derivation: report.derivation } : report.json, null, 2) : renderKvReport(report, request.explain));
    } else {
      const report = buildVariantsReport(input, request.options);
      io.out(request.json ? JSON.stringify(request.explain ? { ...report.json, derivation: report.base.derivation } : report.json, null, 2) : renderVariants(report, request.explain));
    }
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UsageError) {
      io.err(`attention-lens: ${e.message}`);
      return 2;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.err(`attention-lens: internal error: ${message} (please report it with the config that caused it)`);
    return 1;
  }
}

if (require.main === module) {
  void run(process.argv.slice(2), {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
  }).then((code) => {
    process.exitCode = code;
  });
}
