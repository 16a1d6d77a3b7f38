export const USAGE = `Usage: realname-integrity-simulator --api-key KEY [options]

Serves generated projects, enterprises, participating units and key personnel the way the provincial
integrity platform (建筑市场监管与诚信信息平台) does: an incremental change feed behind an API key,
plus an admin API on loopback to inject faults and append changes. Runs until Ctrl-C.

Required:
  --api-key KEY              key clients must send in X-Api-Key (default: $INTEGRITY_API_KEY)

Listening:
  --port N                   port, 0 = any free port                        [default 8090]
  --host ADDRESS             address to listen on                           [default 127.0.0.1]

Data (the same options give the same data and the same feed):
  --seed N                   seed of the generator                          [default 1]
  --projects N               projects to generate, 0-9999                   [default 5]
  --region CODE              six-digit area code the fixtures know          [default 330106]
  --wrong-category-rate X    share of key persons with a category their post does not allow,
                             0-1                                            [default 0.05]
  --empty-post-rate X        share of key posts with nobody registered, 0-1 [default 0.05]
  --no-history               only the initial load: no later updates or deletes
  --page-size-max N          largest page returned whatever limit asks, 1-500 [default 500]

  --verbose                  log every request on stderr
  --help                     show this text
`;

export interface CliArgs {
  apiKey: string;
  port: number;
  host: string;
  seed: number;
  projects: number;
  region: string;
  wrongCategoryRate: number;
  emptyPostRate: number;
  history: boolean;
  pageSizeMax: number;
  verbose: boolean;
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

const rate = (v: string, flag: string) => {
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) > 1)
    throw new Error(`${flag} must be a number from 0 to 1 (got "${v}")`);
  return Number(v);
};

const SPECS: Record<string, Spec> = {
  '--api-key': {
    key: 'apiKey',
    parse: (v, flag) => {
      if (!v) throw new Error(`${flag} must not be empty`);
      return v;
    },
  },
  '--port': { key: 'port', parse: int(0, 65535) },
  '--host': {
    key: 'host',
    parse: (v, flag) => {
      if (!v) throw new Error(`${flag} must not be empty`);
      return v;
    },
  },
  '--seed': { key: 'seed', parse: int(-2_147_483_648, 4_294_967_295) },
  '--projects': { key: 'projects', parse: int(0, 9999) },
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
  '--wrong-category-rate': { key: 'wrongCategoryRate', parse: rate },
  '--empty-post-rate': { key: 'emptyPostRate', parse: rate },
  '--page-size-max': { key: 'pageSizeMax', parse: int(1, 500) },
};

const SWITCHES: Record<string, (out: Partial<CliArgs>) => void> = {
  '--no-history': (out) => (out.history = false),
  '--verbose': (out) => (out.verbose = true),
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
      const toggle = SWITCHES[flag];
      if (toggle) {
        if (eq >= 0) throw new Error(`${flag} takes no value`);
        toggle(out);
        continue;
      }
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
    if (out.apiKey === undefined && env.INTEGRITY_API_KEY) out.apiKey = env.INTEGRITY_API_KEY;
    if (out.apiKey === undefined) throw new Error('--api-key is required (or set INTEGRITY_API_KEY)');
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
  return {
    kind: 'run',
    args: {
      apiKey: out.apiKey,
      port: out.port ?? 8090,
      host: out.host ?? '127.0.0.1',
      seed: out.seed ?? 1,
      projects: out.projects ?? 5,
      region: out.region ?? '330106',
      wrongCategoryRate: out.wrongCategoryRate ?? 0.05,
      emptyPostRate: out.emptyPostRate ?? 0.05,
      history: out.history ?? true,
      pageSizeMax: out.pageSizeMax ?? 500,
      verbose: out.verbose ?? false,
    },
  };
}
