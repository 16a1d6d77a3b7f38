#!/usr/bin/env node
/**
 * `node libs/demo/dist/cli.js --gateway URL --registry URL --attendance URL [--oidc-issuer URL]
 *   [--reporting URL --uplink-admin URL] [--projects 3] [--workers 8] [--speed 4]`: the demo's site with
 * devices of every family, and its attendance going up to the national platform (simulated), until Ctrl-C.
 */
import { readCommandLine } from '@realname/contracts';
import { DEMO_IDENTITIES, demoTokens, LOCAL_ISSUER } from './demo-tokens';
import { MixedSite } from './mixed-site';
import { NationalUpstream } from './upstream';

const USAGE = `Usage: node libs/demo/dist/cli.js --gateway URL --registry URL --attendance URL [options]

The demo's site: workers entered on the registry's projects and one simulated gate of each family per
project, punching until Ctrl-C (deploy/local/demo.sh starts it; extra arguments of npm run demo go here).

The services want OAuth 2.0 access tokens: the site gets them itself from the local OpenID Connect
issuer (Keycloak, test identities of deploy/local/keycloak/realname-realm.json) and renews them before
they expire. It registers the gates as ${DEMO_IDENTITIES.deviceAdmin} (device administrator), enters workers as
${DEMO_IDENTITIES.siteWriter} (municipal system), reads as ${DEMO_IDENTITIES.reader} (city supervisor) and pulls the
integrity sync as ${DEMO_IDENTITIES.syncTrigger} (platform operator).

With --reporting and --uplink-admin each project's keys are registered at the national platform
simulator and put into reporting (as ${DEMO_IDENTITIES.siteWriter}), and the progress shows what the platform
accepted and reporting's backlog of the day (read as ${DEMO_IDENTITIES.reader}).

  --oidc-issuer URL  the issuer  [default $REALNAME_OIDC_ISSUER, else ${LOCAL_ISSUER}]
  --reporting URL    reporting (uploads to the national platform)   [default: no upstream]
  --uplink-admin URL the national simulator's admin API (realname-uplink-simulators --admin-port)
  --projects N       projects to put gates on        [default 3]
  --workers N        workers entered per project     [default 8]
  --speed N          punches per second, all gates   [default 4]
  --help             this text
`;

const OPTIONS = {
  gateway: { type: 'string' },
  'oidc-issuer': { type: 'string' },
  registry: { type: 'string' },
  attendance: { type: 'string' },
  reporting: { type: 'string' },
  'uplink-admin': { type: 'string' },
  projects: { type: 'string' },
  workers: { type: 'string' },
  speed: { type: 'string' },
} as const;
type Values = Partial<Record<keyof typeof OPTIONS, string>>;

function required(o: Values, name: keyof typeof OPTIONS): string {
  const v = o[name];
  if (!v) throw new Error(`--${name} is required`);
  return v;
}

function positive(o: Values, name: keyof typeof OPTIONS, fallback: number): number {
  const v = o[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number (got "${v}")`);
  return n;
}

async function main() {
  const cmd = readCommandLine(process.argv.slice(2), OPTIONS);
  if (cmd.kind === 'help') return void process.stdout.write(USAGE);
  if (cmd.kind === 'error') throw new Error(`${cmd.message} (see --help)`);
  const o = cmd.values;
  if (Boolean(o.reporting) !== Boolean(o['uplink-admin']))
    throw new Error('--reporting and --uplink-admin go together: give both for the upstream, or neither');
  const log = (line: string) =>
    process.stdout.write(`[site] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const tokens = demoTokens(o['oidc-issuer'] || process.env.REALNAME_OIDC_ISSUER || LOCAL_ISSUER);
  const reportingUrl = o.reporting;
  const uplinkAdminUrl = o['uplink-admin'];
  const site = new MixedSite({
    gatewayUrl: required(o, 'gateway'),
    tokens,
    registryUrl: required(o, 'registry'),
    attendanceUrl: required(o, 'attendance'),
    projects: positive(o, 'projects', 3),
    workersPerProject: positive(o, 'workers', 8),
    punchesPerSecond: positive(o, 'speed', 4),
    log,
    ...(reportingUrl && uplinkAdminUrl
      ? {
          upstream: (registry) =>
            new NationalUpstream({
              reportingUrl: reportingUrl.replace(/\/+$/, ''),
              uplinkAdminUrl: uplinkAdminUrl.replace(/\/+$/, ''),
              registry,
              credentialsToken: tokens.siteWriter,
              readToken: tokens.reader,
            }),
        }
      : {}),
  });
  await site.start();
  const stop = () => {
    log('stopping the devices ...');
    void site.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`demo site failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
