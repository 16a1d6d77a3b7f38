import { notEmpty, ParsedCommandLine, readCommandLine, ValueCheck, wholeNumber } from '@realname/contracts';
import type { OidcCredentials } from './access-token';

export const USAGE = `Usage: realname-device-simulator --gateway URL (--admin-token TOKEN | OIDC credentials) [options]

Simulates construction-site attendance devices speaking the open device protocol v1: registers them
through the gateway's admin API, then plays a compressed working day and uploads the punches.

Required:
  --gateway URL              device gateway base URL, e.g. http://127.0.0.1:8081

The admin API wants an OAuth 2.0 access token of a device administrator whose scope covers --region
(locally the user dev-hz of deploy/local/keycloak/realname-realm.json). Give one of:
  --admin-token TOKEN        an access token (default: $REALNAME_ACCESS_TOKEN); it is not renewed
  --oidc-user NAME           sign in as this person (password grant through --oidc-client-id) and
  --oidc-password PASSWORD     renew the token as needed (default: $REALNAME_OIDC_PASSWORD)
  --oidc-client-id ID        a machine client (client credentials grant) with
  --oidc-client-secret S       its secret (default: $REALNAME_OIDC_CLIENT_SECRET); with --oidc-user,
                               the public client to sign in through          [default realname-cli]
  --oidc-issuer URL          the OpenID Connect issuer for --oidc-user / --oidc-client-id
                             (default: $REALNAME_OIDC_ISSUER, as \`eval "$(bash deploy/local/stack.sh env)"\`
                             exports it; locally http://127.0.0.1:58180/realms/realname)

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

/** How the simulator authenticates to the gateway's admin API. */
export type AdminAuth = { kind: 'token'; token: string } | OidcCredentials;

export interface CliArgs {
  gateway: string;
  auth: AdminAuth;
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
  'oidc-issuer': { type: 'string' },
  'oidc-user': { type: 'string' },
  'oidc-password': { type: 'string' },
  'oidc-client-id': { type: 'string' },
  'oidc-client-secret': { type: 'string' },
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
/** An http(s) URL without trailing slashes. */
const httpUrl =
  (example: string): Check =>
  (v, flag) => {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      throw new Error(`${flag} must be an http(s) URL such as ${example} (got "${v}")`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`${flag} must be an http(s) URL such as ${example} (got "${v}")`);
    }
    return v.replace(/\/+$/, '');
  };

/** Fields read from the command line, before the admin API credentials are put together. */
interface RawArgs extends Omit<CliArgs, 'auth'> {
  adminToken: string;
  oidcIssuer: string;
  oidcUser: string;
  oidcPassword: string;
  oidcClientId: string;
  oidcClientSecret: string;
}

const CHECKS: Record<keyof typeof OPTIONS, { key: keyof RawArgs; check: Check }> = {
  gateway: { key: 'gateway', check: httpUrl('http://127.0.0.1:8081') },
  'admin-token': { key: 'adminToken', check: notEmpty },
  'oidc-issuer': { key: 'oidcIssuer', check: httpUrl('http://127.0.0.1:58180/realms/realname') },
  'oidc-user': { key: 'oidcUser', check: notEmpty },
  'oidc-password': { key: 'oidcPassword', check: notEmpty },
  'oidc-client-id': { key: 'oidcClientId', check: notEmpty },
  'oidc-client-secret': { key: 'oidcClientSecret', check: notEmpty },
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
  const out: Partial<RawArgs> = {};
  let auth: AdminAuth;
  try {
    for (const [name, value] of Object.entries(line.values) as [keyof typeof OPTIONS, string][]) {
      const { key, check } = CHECKS[name];
      (out as Record<string, unknown>)[key] = check(value, `--${name}`);
    }
    if (out.gateway === undefined) throw new Error('--gateway is required');
    auth = adminAuth(out, env);
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
  return {
    kind: 'run',
    args: {
      gateway: out.gateway,
      auth,
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

/**
 * The admin API credentials: --admin-token, or --oidc-user with a password, or --oidc-client-id with a
 * secret (flags first, then the environment). A fixed token together with credentials is an error.
 */
function adminAuth(o: Partial<RawArgs>, env: NodeJS.ProcessEnv): AdminAuth {
  const fromEnv = (name: string) => env[name] || undefined;
  const credentials = [o.oidcUser, o.oidcPassword, o.oidcClientId, o.oidcClientSecret].some(
    (v) => v !== undefined,
  );
  if (o.adminToken !== undefined) {
    if (credentials)
      throw new Error(
        'give either --admin-token or OIDC credentials (--oidc-user / --oidc-client-id), not both',
      );
    return { kind: 'token', token: o.adminToken };
  }
  if (!credentials) {
    const token = fromEnv('REALNAME_ACCESS_TOKEN');
    if (token) return { kind: 'token', token };
    throw new Error(
      'an access token is required: --admin-token (or REALNAME_ACCESS_TOKEN), or --oidc-user NAME with ' +
        '--oidc-password, or --oidc-client-id ID with --oidc-client-secret',
    );
  }
  if (o.oidcPassword !== undefined && o.oidcUser === undefined)
    throw new Error('--oidc-password needs --oidc-user');
  if (o.oidcClientSecret !== undefined && o.oidcUser !== undefined)
    throw new Error(
      '--oidc-client-secret is for a machine client: give --oidc-user or --oidc-client-secret, not both',
    );
  if (o.oidcClientSecret !== undefined && o.oidcClientId === undefined)
    throw new Error('--oidc-client-secret needs --oidc-client-id');
  const issuerText = o.oidcIssuer ?? fromEnv('REALNAME_OIDC_ISSUER');
  if (issuerText === undefined)
    throw new Error(
      '--oidc-issuer is required with --oidc-user / --oidc-client-id (or set REALNAME_OIDC_ISSUER)',
    );
  const issuer = String(httpUrl('http://127.0.0.1:58180/realms/realname')(issuerText, '--oidc-issuer'));
  if (o.oidcUser !== undefined) {
    const password = o.oidcPassword ?? fromEnv('REALNAME_OIDC_PASSWORD');
    if (password === undefined)
      throw new Error('--oidc-password is required with --oidc-user (or set REALNAME_OIDC_PASSWORD)');
    return {
      kind: 'password',
      issuer,
      clientId: o.oidcClientId ?? 'realname-cli',
      username: o.oidcUser,
      password,
    };
  }
  const clientId = o.oidcClientId;
  if (clientId === undefined) throw new Error('--oidc-client-id is required');
  const clientSecret = o.oidcClientSecret ?? fromEnv('REALNAME_OIDC_CLIENT_SECRET');
  if (clientSecret === undefined)
    throw new Error(
      '--oidc-client-secret is required with --oidc-client-id (or set REALNAME_OIDC_CLIENT_SECRET)',
    );
  return { kind: 'client', issuer, clientId, clientSecret };
}
