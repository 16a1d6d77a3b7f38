/** The command line of `npm run bench:analytics` (read by `node:util` `parseArgs`). */
import { readCommandLine } from '@realname/contracts';

export const ANALYTICS_USAGE = `Usage: npm run bench:analytics -- [options]

Generates a province-sized month of attendance directly in ClickHouse (a bench database with the
attendance service's own migrations), measures load rate, storage per row and the monthly analytics
queries, and appends the results to docs/benchmarks.md. Every option is optional.

  --punches N      punch rows to generate (at least)                 [default 100000000]
  --month YYYY-MM  the month generated and queried                    [default 2026-11]
  --runs N         timed runs of each query (the median is reported)  [default 7]
  --keep           keep the bench database (dropped at the end otherwise)
  --out FILE       where the results are appended                     [default docs/benchmarks.md]
  --no-write       print the results only
  --help           this text
`;

export interface AnalyticsBenchOptions {
  punches: number;
  month: string;
  runs: number;
  keep: boolean;
  out: string;
  write: boolean;
}

const OPTIONS = {
  punches: { type: 'string' },
  month: { type: 'string' },
  runs: { type: 'string' },
  keep: { type: 'boolean' },
  out: { type: 'string' },
  'no-write': { type: 'boolean' },
} as const;

export type ParsedAnalyticsArgs =
  { kind: 'run'; options: AnalyticsBenchOptions } | { kind: 'help' } | { kind: 'error'; message: string };

/** Errors name the flag and what to give. */
export function parseAnalyticsArgs(argv: readonly string[], defaultOut: string): ParsedAnalyticsArgs {
  const line = readCommandLine(argv, OPTIONS);
  if (line.kind !== 'values') return line;
  const o = line.values;
  const whole = (name: 'punches' | 'runs', dflt: number): number => {
    const v = o[name];
    if (v === undefined) return dflt;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n <= 0)
      throw new Error(`--${name} must be a positive whole number, got "${v}"`);
    return n;
  };
  try {
    const month = o.month ?? '2026-11';
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month) || month.startsWith('0000'))
      throw new Error(`--month must be a month YYYY-MM, got "${month}"`);
    return {
      kind: 'run',
      options: {
        punches: whole('punches', 100_000_000),
        month,
        runs: whole('runs', 7),
        keep: o.keep === true,
        out: o.out ?? defaultOut,
        write: !o['no-write'],
      },
    };
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
}
