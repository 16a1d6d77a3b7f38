import { notEmpty, ParsedCommandLine, readCommandLine, ValueCheck, wholeNumber } from '@realname/contracts';

export const USAGE = `Usage: realname-device-simulator --gateway URL --admin-token TOKEN [options]

Simulates construction-site attendance devices speaking the open device protocol v1: registers them
through the gateway's admin API, then plays a compressed working day and uploads the punches.

Required:
  --gateway URL              device gateway base URL, e.g. http://127.0.0.1:8081
  --admin-token TOKEN        admin API bearer token (default: $GATEWAY_ADMIN_TOKEN)

Sites (derived from --seed: the same arguments give the same project ids, device ids, workers and
generated punches; only the device secrets are random on every run):
  --projects N               projects (sites) to simulate                    [default 3]
  --devices-per-project N    gates (devices) per project                     [default 2]
  --workers N                workers per project                             [default 40]
  --seed N                   seed of the generator                           [default 1]
  --region CODE              six-digit administrative division code          [default 330106]

Live mode (default): a clock starting at 06:00 today (Asia/Shanghai) that runs --speed times faster
than real time; each device uploads its buffer about every 500 ms; now and then a device resends a
batch it already sent, to show the gateway's deduplication. Ctrl-C flushes, summarises and exits 0.
  --speed N                  simulated seconds per real second (600: a site-day in ~2 min) [default 600]
  --duration-s N             stop after N real seconds; 0 = run until Ctrl-C  [default 0]
  --batch N                  punches per upload request, 1-500               [default 50]

One-day mode:
  --once-day YYYY-MM-DD      upload that whole generated day for all devices as fast as possible,
                             print the totals as JSON on stdout and exit (0 when every punch was
                             acknowledged, 1 otherwise)

  --help                     show this text

Progress goes to stderr: redrawn in place on a terminal, a plain status line every 5 s otherwise.
`;

export interface CliArgs {
  gateway: string;
  adminToken: string;
  projects: number;
  devicesPerProject: number;
  workers: number;
  speed: number;
  seed: number;
  durationS: number;
  batch: number;
  region: string;
  onceDay?: string;
}

export type ParsedArgs = ParsedCommandLine<CliArgs>;

type Check = ValueCheck;
const int = wholeNumber;

const OPTIONS = {
  gateway: { type: 'string' },
  'admin-token': { type: 'string' },
  projects: { type: 'string' },
  'devices-per-project': { type: 'string' },
  workers: { type: 'string' },
  seed: { type: 'string' },
  batch: { type: 'string' },
  speed: { type: 'string' },
  'duration-s': { type: 'string' },
  region: { type: 'string' },
  'once-day': { type: 'string' },
} as const;

/** Each option's field and the check of its value (errors name the flag and say what to give). */
const CHECKS: Record<keyof typeof OPTIONS, { key: keyof CliArgs; check: Check }> = {
  gateway: {
    key: 'gateway',
    check: (v, flag) => {
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        throw new Error(`${flag} must be an http(s) URL such as http://127.0.0.1:8081 (got "${v}")`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new Error(`${flag} must be an http(s) URL such as http://127.0.0.1:8081 (got "${v}")`);
      }
      return v.replace(/\/+$/, '');
    },
  },
  'admin-token': { key: 'adminToken', check: notEmpty },
  projects: { key: 'projects', check: int(1, 9999) },
  'devices-per-project': { key: 'devicesPerProject', check: int(1, 99) },
  workers: { key: 'workers', check: int(1, 100_000) },
  seed: { key: 'seed', check: int(-2_147_483_648, 4_294_967_295) },
  batch: { key: 'batch', check: int(1, 500) },
  speed: {
    key: 'speed',
    check: (v, flag) => {
      if (!/^\d+(\.\d+)?$/.test(v) || !(Number(v) > 0) || Number(v) > 1_000_000) {
        throw new Error(`${flag} must be a number above 0 and at most 1000000 (got "${v}")`);
      }
      return Number(v);
    },
  },
  'duration-s': {
    key: 'durationS',
    check: (v, flag) => {
      if (!/^\d+(\.\d+)?$/.test(v))
        throw new Error(`${flag} must be a number of seconds, 0 or more (got "${v}")`);
      return Number(v);
    },
  },
  region: {
    key: 'region',
    check: (v, flag) => {
      if (!/^\d{6}$/.test(v))
        throw new Error(
          `${flag} must be a six-digit administrative division code such as 330106 (got "${v}")`,
        );
      return v;
    },
  },
  'once-day': {
    key: 'onceDay',
    check: (v, flag) => {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
      const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
      if (!d || d.toISOString().slice(0, 10) !== v)
        throw new Error(`${flag} must be a calendar day YYYY-MM-DD (got "${v}")`);
      return v;
    },
  },
};

/** Reads the command line (`node:util` `parseArgs`); errors name the argument at fault. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  const line = readCommandLine(argv, OPTIONS);
  if (line.kind !== 'values') return line;
  const out: Partial<CliArgs> = {};
  try {
    for (const [name, value] of Object.entries(line.values) as [keyof typeof OPTIONS, string][]) {
      const { key, check } = CHECKS[name];
      (out as Record<string, unknown>)[key] = check(value, `--${name}`);
    }
    if (out.adminToken === undefined && env.GATEWAY_ADMIN_TOKEN) out.adminToken = env.GATEWAY_ADMIN_TOKEN;
    if (out.gateway === undefined) throw new Error('--gateway is required');
    if (out.adminToken === undefined)
      throw new Error('--admin-token is required (or set GATEWAY_ADMIN_TOKEN)');
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
  return {
    kind: 'run',
    args: {
      gateway: out.gateway,
      adminToken: out.adminToken,
      projects: out.projects ?? 3,
      devicesPerProject: out.devicesPerProject ?? 2,
      workers: out.workers ?? 40,
      speed: out.speed ?? 600,
      seed: out.seed ?? 1,
      durationS: out.durationS ?? 0,
      batch: out.batch ?? 50,
      region: out.region ?? '330106',
      ...(out.onceDay ? { onceDay: out.onceDay } : {}),
    },
  };
}
