#!/usr/bin/env node
/**
 * `node libs/demo/dist/cli.js --gateway URL --admin-token T --registry URL --attendance URL
 *   [--projects 3] [--workers 8] [--speed 4]`: the demo's site with devices of every family, until Ctrl-C.
 */
import { readCommandLine } from '@realname/contracts';
import { MixedSite } from './mixed-site';

const USAGE = `Usage: node libs/demo/dist/cli.js --gateway URL --admin-token T --registry URL --attendance URL [options]

The demo's site: workers entered on the registry's projects and one simulated gate of each family per
project, punching until Ctrl-C (deploy/local/demo.sh starts it; extra arguments of npm run demo go here).

  --projects N    projects to put gates on        [default 3]
  --workers N     workers entered per project     [default 8]
  --speed N       punches per second, all gates   [default 4]
  --help          this text
`;

const OPTIONS = {
  gateway: { type: 'string' },
  'admin-token': { type: 'string' },
  registry: { type: 'string' },
  attendance: { type: 'string' },
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
  const log = (line: string) =>
    process.stdout.write(`[site] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const site = new MixedSite({
    gatewayUrl: required(o, 'gateway'),
    adminToken: required(o, 'admin-token'),
    registryUrl: required(o, 'registry'),
    attendanceUrl: required(o, 'attendance'),
    projects: positive(o, 'projects', 3),
    workersPerProject: positive(o, 'workers', 8),
    punchesPerSecond: positive(o, 'speed', 4),
    log,
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
