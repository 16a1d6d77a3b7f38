/** The command line of `npm run bench:upload` (read by `node:util` `parseArgs`). */
import { readCommandLine } from '@realname/contracts';

export const UPLOAD_USAGE = `Usage: npm run bench:upload -- [options]

Uploads a city's day of attendance through the reporting service (its own process, against the local
stack) to the national simulator (20 records per call, asynchronous results, a rate limit per appid),
measures the time from the day's last event until every punch is accepted upstream, the calls made and
the service's CPU and memory, and appends the results to docs/benchmarks.md. Every option is optional.

  --source S              punches: each punch as AttendanceRecorded (attendance.records.v1, the live
                          path); days: each worker's AttendanceDayFinalised (attendance.days.v1)
                                                                                  [default punches]
  --workers N             workers with a day (about 3 punches each)               [default 200000]
  --workers-per-project N workers per project (each project has its own appid)   [default 200]
  --publish-seconds S     the day's events arrive over this long                  [default 300]
  --rate-limit N          calls per second the platform allows each appid         [default 2]
  --async-delay-ms N      delay before a call's result is ready upstream           [default 1000]
  --timeout S             give up this long after the last event                  [default 1800]
  --out FILE              where the results are appended                          [default docs/benchmarks.md]
  --no-write              print the results only
  --help                  this text

The service runs with a city's settings (UPLOAD_CALLS_PER_SECOND = --rate-limit, UPLOAD_CONCURRENCY=16,
UPLOAD_CLAIM_SIZE=1000); any of its settings is passed through from the environment as
BENCH_UPLOAD_<NAME>, e.g. BENCH_UPLOAD_UPLOAD_CONCURRENCY=4.
`;

export type UploadSource = 'punches' | 'days';

export interface UploadBenchOptions {
  source: UploadSource;
  workers: number;
  workersPerProject: number;
  publishSeconds: number;
  rateLimit: number;
  asyncDelayMs: number;
  timeoutS: number;
  out: string;
  write: boolean;
}

const OPTIONS = {
  source: { type: 'string' },
  workers: { type: 'string' },
  'workers-per-project': { type: 'string' },
  'publish-seconds': { type: 'string' },
  'rate-limit': { type: 'string' },
  'async-delay-ms': { type: 'string' },
  timeout: { type: 'string' },
  out: { type: 'string' },
  'no-write': { type: 'boolean' },
} as const;

export type ParsedUploadArgs =
  { kind: 'run'; options: UploadBenchOptions } | { kind: 'help' } | { kind: 'error'; message: string };

/** Errors name the flag and what to give. */
export function parseUploadArgs(argv: readonly string[], defaultOut: string): ParsedUploadArgs {
  const line = readCommandLine(argv, OPTIONS);
  if (line.kind !== 'values') return line;
  const o = line.values;
  type Numeric = Exclude<keyof typeof OPTIONS, 'source' | 'out' | 'no-write'>;
  const whole = (name: Numeric, dflt: number, min = 1): number => {
    const v = o[name];
    if (v === undefined) return dflt;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < min)
      throw new Error(
        `--${name} must be a ${min === 0 ? 'whole number, 0 or more' : 'positive whole number'}, got "${v}"`,
      );
    return n;
  };
  try {
    const source = o.source ?? 'punches';
    if (source !== 'punches' && source !== 'days')
      throw new Error(`--source must be punches or days, got "${source}"`);
    const workers = whole('workers', 200_000);
    const workersPerProject = whole('workers-per-project', 200);
    if (workersPerProject > workers)
      throw new Error(`--workers-per-project (${workersPerProject}) is more than --workers (${workers})`);
    return {
      kind: 'run',
      options: {
        source,
        workers,
        workersPerProject,
        publishSeconds: whole('publish-seconds', 300, 0),
        rateLimit: whole('rate-limit', 2),
        asyncDelayMs: whole('async-delay-ms', 1000, 0),
        timeoutS: whole('timeout', 1800),
        out: o.out ?? defaultOut,
        write: !o['no-write'],
      },
    };
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
}
