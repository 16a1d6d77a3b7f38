#!/usr/bin/env node
/**
 * `node libs/demo/dist/cli.js --gateway URL --admin-token T --registry URL --attendance URL
 *   [--projects 3] [--workers 8] [--speed 4]`: the demo's site with devices of every family, until Ctrl-C.
 */
import { MixedSite } from './mixed-site';

function arg(argv: string[], name: string, fallback?: string): string {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

function positive(argv: string[], name: string, fallback: number): number {
  const n = Number(arg(argv, name, String(fallback)));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

async function main() {
  const argv = process.argv.slice(2);
  const log = (line: string) =>
    process.stdout.write(`[site] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const site = new MixedSite({
    gatewayUrl: arg(argv, 'gateway'),
    adminToken: arg(argv, 'admin-token'),
    registryUrl: arg(argv, 'registry'),
    attendanceUrl: arg(argv, 'attendance'),
    projects: positive(argv, 'projects', 3),
    workersPerProject: positive(argv, 'workers', 8),
    punchesPerSecond: positive(argv, 'speed', 4),
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
