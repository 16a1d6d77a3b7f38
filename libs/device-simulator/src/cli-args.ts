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

export type ParsedArgs =
  { kind: 'run'; args: CliArgs } | { kind: 'help' } | { kind: 'error'; message: string };

type Spec = { key: keyof CliArgs; parse: (v: string, flag: string) => string | number };

const int = (min: number, max: number) => (v: string, flag: string) => {
  if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new Error(`${flag} must be a whole number from ${min} to ${max} (got "${v}")`);
  }
  return Number(v);
};

const SPECS: Record<string, Spec> = {
  '--gateway': {
    key: 'gateway',
    parse: (v, flag) => {
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
  '--admin-token': {
    key: 'adminToken',
    parse: (v, flag) => {
      if (!v) throw new Error(`${flag} must not be empty`);
      return v;
    },
  },
  '--projects': { key: 'projects', parse: int(1, 9999) },
  '--devices-per-project': { key: 'devicesPerProject', parse: int(1, 99) },
  '--workers': { key: 'workers', parse: int(1, 100_000) },
  '--seed': { key: 'seed', parse: int(-2_147_483_648, 4_294_967_295) },
  '--batch': { key: 'batch', parse: int(1, 500) },
  '--speed': {
    key: 'speed',
    parse: (v, flag) => {
      if (!/^\d+(\.\d+)?$/.test(v) || !(Number(v) > 0) || Number(v) > 1_000_000) {
        throw new Error(`${flag} must be a number above 0 and at most 1000000 (got "${v}")`);
      }
      return Number(v);
    },
  },
  '--duration-s': {
    key: 'durationS',
    parse: (v, flag) => {
      if (!/^\d+(\.\d+)?$/.test(v))
        throw new Error(`${flag} must be a number of seconds, 0 or more (got "${v}")`);
      return Number(v);
    },
  },
  '--region': {
    key: 'region',
    parse: (v, flag) => {
      if (!/^\d{6}$/.test(v))
        throw new Error(
          `${flag} must be a six-digit administrative division code such as 330106 (got "${v}")`,
        );
      return v;
    },
  },
  '--once-day': {
    key: 'onceDay',
    parse: (v, flag) => {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
      const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
      if (!d || d.toISOString().slice(0, 10) !== v)
        throw new Error(`${flag} must be a calendar day YYYY-MM-DD (got "${v}")`);
      return v;
    },
  },
};

/** Parses the command line by hand; errors name the argument at fault. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  const out: Partial<CliArgs> = {};
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i];
      if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`);
      const eq = arg.indexOf('=');
      const flag = eq >= 0 ? arg.slice(0, eq) : arg;
      const spec = SPECS[flag];
      if (!spec) throw new Error(`unknown option ${flag}`);
      let value: string | undefined;
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        if (value === undefined || (value.startsWith('--') && value.length > 2))
          throw new Error(`${flag} needs a value`);
        i++;
      }
      (out as Record<string, unknown>)[spec.key] = spec.parse(value, flag);
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
