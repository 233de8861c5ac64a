import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';

export type BenchMode = 'quick' | 'full';
export type Unit = 'ms' | 'req/s' | 'MiB' | 'bytes';

/** A target from issue 7, judged on the figure's value or on its ratio to the baseline. */
export interface Target {
  text: string;
  on: 'value' | 'ratio';
  max?: number;
  min?: number;
}

/** One measured figure. `value` (and `baseline`) are NaN when the measurement failed; `note` then says why. */
export interface Figure {
  group: string;
  name: string;
  unit: Unit;
  value: number;
  /** What the same run measured for the thing the figure is compared with; `baselineName` says what it is. */
  baseline?: number;
  baselineName?: string;
  target?: Target;
  note?: string;
}

export interface MachineFacts {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  prometheus: string;
  /** 1-minute load average when the facts were taken: other work on the machine skews every figure. */
  loadAverage1m: number;
}

export function machineFacts(): MachineFacts {
  let prometheus = 'unknown';
  try {
    prometheus =
      execFileSync('prometheus', ['--version'], { encoding: 'utf8', timeout: 5000 }).split('\n')[0] ?? '';
  } catch {
    // NB: only reported; the request-path measurement fails with a clear error when Prometheus is missing.
  }
  const cpuList = cpus();
  return {
    cores: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    prometheus,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

export function ratioOf(f: Figure): number | undefined {
  return f.baseline === undefined ? undefined : f.value / f.baseline;
}

/** 'met', 'missed', or undefined when the figure has no target. A figure that could not be measured misses. */
export function verdict(f: Figure): 'met' | 'missed' | undefined {
  if (f.target === undefined) return undefined;
  const x = f.target.on === 'ratio' ? ratioOf(f) : f.value;
  if (x === undefined || !Number.isFinite(x)) return 'missed';
  const { max, min } = f.target;
  return (max === undefined || x <= max) && (min === undefined || x >= min) ? 'met' : 'missed';
}

function formatNumber(x: number | undefined, unit?: Unit): string {
  if (x === undefined) return '';
  if (!Number.isFinite(x)) return 'n/a';
  const digits = Math.abs(x) >= 100 || unit === 'bytes' ? 0 : Math.abs(x) >= 10 ? 1 : 2;
  return `${x.toFixed(digits)}${unit === undefined ? '' : ` ${unit}`}`;
}

/** A plain-text table: one row per figure, grouped, with baseline, ratio, target and verdict. */
export function formatTable(figures: readonly Figure[]): string {
  const header = ['figure', 'value', 'baseline (same run)', 'ratio', 'target', ''];
  const rows: string[][] = [];
  let group = '';
  for (const f of figures) {
    if (f.group !== group) {
      group = f.group;
      rows.push([`[${group}]`]);
    }
    const ratio = ratioOf(f);
    rows.push([
      `  ${f.name}`,
      formatNumber(f.value, f.unit),
      f.baseline === undefined ? '' : `${formatNumber(f.baseline, f.unit)} (${f.baselineName ?? ''})`,
      ratio === undefined ? '' : `${formatNumber(ratio)}x`,
      f.target?.text ?? '',
      verdict(f) ?? '',
    ]);
  }
  // NB: group rows have one cell and span the table, so they do not widen the first column.
  const cellRows = rows.filter((r) => r.length > 1);
  const widths = header.map((h, i) => Math.max(h.length, ...cellRows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.length === 1
      ? (cells[0] ?? '')
      : cells
          .map((c, i) => (i === 1 || i === 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
          .join('  ')
          .trimEnd();
  const notes: string[] = [];
  for (const f of figures) {
    if (f.note === undefined || f.note === '') continue;
    if (!notes.includes(`[${f.group}]`)) notes.push(`[${f.group}]`);
    notes.push(`  ${f.name}: ${f.note}`);
  }
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    'notes:',
    ...notes,
  ].join('\n');
}

export interface BenchReport {
  mode: BenchMode;
  startedAt: string;
  durationS: number;
  /** Taken at the start and at the end of the run. */
  machine: { atStart: MachineFacts; atEnd: MachineFacts };
  /** How the figures were obtained (data sources, sizes, caveats). */
  method: string[];
  figures: Array<Figure & { ratio?: number | null; verdict?: 'met' | 'missed' }>;
}

/** Writes `bench-results/<mode>.json` (NaN becomes null) and `bench-results/<mode>.txt` (the table); returns the JSON path. */
export function writeReport(report: BenchReport, table: string, dir = 'bench-results'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${report.mode}.json`);
  writeFileSync(
    path,
    `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
  writeFileSync(join(dir, `${report.mode}.txt`), `${table}\n`);
  return path;
}
