import { notEmpty, ParsedCommandLine, readCommandLine, ValueCheck, wholeNumber } from '@realname/contracts';

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

export type ParsedArgs = ParsedCommandLine<CliArgs>;

type Check = ValueCheck;
const int = wholeNumber;

const rate: Check = (v, flag) => {
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) > 1)
    throw new Error(`${flag} must be a number from 0 to 1 (got "${v}")`);
  return Number(v);
};

const OPTIONS = {
  'api-key': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  seed: { type: 'string' },
  projects: { type: 'string' },
  region: { type: 'string' },
  'wrong-category-rate': { type: 'string' },
  'empty-post-rate': { type: 'string' },
  'page-size-max': { type: 'string' },
  'no-history': { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

type ValueOption = Exclude<keyof typeof OPTIONS, 'no-history' | 'verbose'>;

/** Each option's field and the check of its value (errors name the flag and say what to give). */
const CHECKS: Record<ValueOption, { key: keyof CliArgs; check: Check }> = {
  'api-key': { key: 'apiKey', check: notEmpty },
  port: { key: 'port', check: int(0, 65535) },
  host: { key: 'host', check: notEmpty },
  seed: { key: 'seed', check: int(-2_147_483_648, 4_294_967_295) },
  projects: { key: 'projects', check: int(0, 9999) },
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
  'wrong-category-rate': { key: 'wrongCategoryRate', check: rate },
  'empty-post-rate': { key: 'emptyPostRate', check: rate },
  'page-size-max': { key: 'pageSizeMax', check: int(1, 500) },
};

/** Reads the command line (`node:util` `parseArgs`); errors name the argument at fault. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  const line = readCommandLine(argv, OPTIONS);
  if (line.kind !== 'values') return line;
  const { 'no-history': noHistory, verbose, ...values } = line.values;
  const out: Partial<CliArgs> = {};
  if (noHistory) out.history = false;
  if (verbose) out.verbose = true;
  try {
    for (const [name, value] of Object.entries(values) as [ValueOption, string][]) {
      const { key, check } = CHECKS[name];
      (out as Record<string, unknown>)[key] = check(value, `--${name}`);
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
