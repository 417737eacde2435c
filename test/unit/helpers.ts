import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildKvReport, buildVariantsReport, type KvReport, type ReportOptions, type VariantsReport } from '../../src/core/report';

/** Repository root, from out/test/unit (compiled) or test/unit (source). */
export const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}out${path.sep}`) ? '../../..' : '../..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'configs');

export function fixtureText(name: string): string {
  return readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8');
}

export function kv(name: string, options: ReportOptions = {}): KvReport {
  return buildKvReport({ file: `${name}.json`, text: fixtureText(name) }, options);
}

export function kvText(text: string, options: ReportOptions = {}, file = 'config.json'): KvReport {
  return buildKvReport({ file, text }, options);
}

export function variants(name: string, options: ReportOptions = {}): VariantsReport {
  return buildVariantsReport({ file: `${name}.json`, text: fixtureText(name) }, options);
}

export const KiB = 1024;
export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;
