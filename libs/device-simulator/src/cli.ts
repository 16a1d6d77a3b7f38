#!/usr/bin/env node
import { AccessTokenSource, OidcTokenSource } from './access-token';
import { CliArgs, parseArgs, USAGE } from './cli-args';
import { Fleet, ProjectTotals, Totals } from './fleet';
import { formatDuration, ProgressDisplay, RateMeter } from './progress';
import { buildSites, liveTicker, punchesForDay, Site } from './site-simulator';

const FLUSH_EVERY_MS = 500;
const POLL_EVERY_MS = 200;
/** On stop, how long the last flush may take before the simulator gives up on what is left. */
const FINAL_FLUSH_MS = 10_000;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`realname-device-simulator: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const args = parsed.args;
  const site = buildSites({
    projects: args.projects,
    devicesPerProject: args.devicesPerProject,
    workersPerProject: args.workers,
    seed: args.seed,
    region: args.region,
  });
  const fleet = new Fleet(site, args.gateway, { timeoutMs: 10_000 });
  const display = new ProgressDisplay(process.stderr);

  const token: AccessTokenSource =
    args.auth.kind === 'token' ? args.auth.token : new OidcTokenSource(args.auth).asSource();
  display.log(
    `registering ${site.devices.length} device(s) of ${site.projects.length} project(s) at ${args.gateway} (seed ${args.seed})` +
      (args.auth.kind === 'token'
        ? ''
        : `, as ${args.auth.kind === 'password' ? `user ${args.auth.username}` : `client ${args.auth.clientId}`} of ${args.auth.issuer}`),
  );
  try {
    await fleet.register(args.gateway, token, { maxAttempts: 8, backoffMaxMs: 4000 });
  } catch (err) {
    display.log(`realname-device-simulator: ${(err as Error).message}`);
    return 1;
  }
  for (const p of site.projects) display.log(`  project ${p.projectId}  ${p.name}`);
  return args.onceDay ? onceDay(args, args.onceDay, site, fleet, display) : live(args, site, fleet, display);
}

// ---------------------------------------------------------------------------------------------------

async function onceDay(
  args: CliArgs,
  day: string,
  site: Site,
  fleet: Fleet,
  display: ProgressDisplay,
): Promise<number> {
  const punches = punchesForDay(site, day);
  fleet.append(punches);
  const abort = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    abort.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSigint);

  const started = Date.now();
  const meter = new RateMeter();
  const show = () => {
    const t = fleet.totals();
    const rate = meter.add(Date.now(), t.sent);
    if (display.isTTY) display.draw(screen(args, site, fleet, `day ${day}`, rate, Date.now() - started));
    else display.log(statusLine(t, `day ${day}`, rate, Date.now() - started, undefined, fleet.lastError()));
  };
  const timer = setInterval(show, display.isTTY ? 250 : 5000);
  try {
    await fleet.flushAll(args.batch, { signal: abort.signal });
  } finally {
    clearInterval(timer);
    process.off('SIGINT', onSigint);
  }
  const elapsedMs = Date.now() - started;
  const t = fleet.totals();
  const finalRate = (t.sent * 1000) / Math.max(1, elapsedMs);
  if (display.isTTY) display.draw(screen(args, site, fleet, `day ${day}`, finalRate, elapsedMs));
  else display.log(statusLine(t, `day ${day}`, finalRate, elapsedMs));
  display.release();
  const lastError = fleet.lastError();
  if (lastError) display.log(`last error (${lastError.deviceId}): ${lastError.message}`);

  const generatedByProject = new Map<string, number>();
  for (const p of punches)
    generatedByProject.set(p.projectId, (generatedByProject.get(p.projectId) ?? 0) + 1);
  const present = (projectId?: string) =>
    new Set(punches.filter((p) => !projectId || p.projectId === projectId).map((p) => p.punch.personId)).size;
  const report = {
    mode: 'once-day',
    day,
    gateway: args.gateway,
    seed: args.seed,
    region: args.region,
    projects: site.projects.length,
    devices: site.devices.length,
    workers: site.workers.length,
    presentWorkers: present(),
    generated: punches.length,
    ...t,
    elapsedMs,
    punchesPerSecond: Math.round((t.sent * 1000 * 10) / Math.max(1, elapsedMs)) / 10,
    interrupted,
    ...(lastError ? { lastError } : {}),
    perProject: fleet.byProject().map((p) => ({
      ...p,
      workers: site.projects.find((x) => x.projectId === p.projectId)?.personIds.length ?? 0,
      presentWorkers: present(p.projectId),
      generated: generatedByProject.get(p.projectId) ?? 0,
    })),
  };
  process.stdout.write(JSON.stringify(report) + '\n');
  return t.pending === 0 && t.rejected === 0 && !interrupted ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------------

function live(args: CliArgs, site: Site, fleet: Fleet, display: ProgressDisplay): Promise<number> {
  const ticker = liveTicker(site, args.speed);
  const started = Date.now();
  const meter = new RateMeter();
  const abort = new AbortController();
  const simClock = () => `sim ${ticker.clock()} ${site.timeZone}`;

  const poll = () => {
    for (const e of ticker.poll()) {
      const buffer = fleet.get(e.deviceId).buffer;
      if (e.kind === 'punch') buffer.append(e.punch);
      else for (const p of e.punches) buffer.append(p); // the same record ids: the gateway says "duplicate"
    }
  };
  const flush = () => {
    for (const d of fleet.devices) {
      if (d.buffer.size > 0 && !d.buffer.flushing)
        void d.buffer.flush(d.client, args.batch, { signal: abort.signal });
    }
  };
  const show = () => {
    const t = fleet.totals();
    const rate = meter.add(Date.now(), t.sent);
    const extra = `resends ${ticker.resends}`;
    if (display.isTTY) display.draw(screen(args, site, fleet, simClock(), rate, Date.now() - started, extra));
    else display.log(statusLine(t, simClock(), rate, Date.now() - started, extra, fleet.lastError()));
  };

  return new Promise<number>((resolve) => {
    const timers = [
      setInterval(poll, POLL_EVERY_MS),
      setInterval(flush, FLUSH_EVERY_MS),
      setInterval(show, display.isTTY ? 250 : 5000),
    ];
    let stopping = false;
    const stop = async (reason: string) => {
      if (stopping) return;
      stopping = true;
      timers.forEach(clearInterval);
      if (durationTimer) clearTimeout(durationTimer);
      poll();
      // Let the flushes in flight finish, then one last flush with a deadline.
      const deadline = setTimeout(() => abort.abort(new Error('stopping')), FINAL_FLUSH_MS);
      await Promise.all(fleet.devices.map((d) => (d.buffer.flushing ? d.buffer.flush(d.client) : undefined)));
      if (!abort.signal.aborted) await fleet.flushAll(args.batch, { signal: abort.signal, maxAttempts: 2 });
      clearTimeout(deadline);
      process.off('SIGINT', onSigint);
      const t = fleet.totals();
      const elapsed = Date.now() - started;
      if (display.isTTY)
        display.draw(screen(args, site, fleet, simClock(), (t.sent * 1000) / Math.max(1, elapsed), elapsed));
      display.release();
      display.log(summary(reason, site, fleet.byProject(), t, ticker.resends, elapsed, fleet.lastError()));
      resolve(0);
    };
    const onSigint = () => {
      if (stopping) {
        // A second Ctrl-C: do not wait for the last flush.
        process.stderr.write('\ninterrupted again: exiting without waiting for the last upload\n');
        process.exit(130);
      }
      if (display.isTTY) process.stderr.write('\n');
      void stop('stopped by Ctrl-C');
    };
    process.on('SIGINT', onSigint);
    const durationTimer =
      args.durationS > 0
        ? setTimeout(() => void stop(`ran for ${args.durationS} s`), args.durationS * 1000)
        : undefined;
    show();
  });
}

// ---------------------------------------------------------------------------------------------------

function counts(t: Totals): string {
  return `sent ${t.sent}  accepted ${t.accepted}  duplicate ${t.duplicate}  rejected ${t.rejected}  pending ${t.pending}`;
}

function screen(
  args: CliArgs,
  site: Site,
  fleet: Fleet,
  clock: string,
  rate: number,
  elapsedMs: number,
  extra?: string,
): string[] {
  const lines = [
    `realname-device-simulator -> ${args.gateway}  seed ${args.seed}  speed x${args.speed}  batch ${args.batch}`,
  ];
  const projects = fleet.byProject();
  const nameWidth = Math.max(...site.projects.map((p) => p.name.length));
  for (const p of projects) {
    const project = site.projects.find((x) => x.projectId === p.projectId)!;
    lines.push(`  ${p.projectId}  ${project.name.padEnd(nameWidth)}  ${counts(p)}`);
  }
  const t = fleet.totals();
  lines.push(
    `  total  ${counts(t)}  retries ${t.retries}${extra ? `  ${extra}` : ''} | ${rate.toFixed(1)} punches/s | ${clock} | ${formatDuration(elapsedMs)}`,
  );
  const err = fleet.lastError();
  if (err) lines.push(`  last error (${err.deviceId}): ${err.message}`);
  return lines;
}

function statusLine(
  t: Totals,
  clock: string,
  rate: number,
  elapsedMs: number,
  extra?: string,
  lastError?: { deviceId: string; message: string },
): string {
  const line = `[${formatDuration(elapsedMs)}] ${clock}  ${counts(t)}  retries ${t.retries}${extra ? `  ${extra}` : ''}  ${rate.toFixed(1)} punches/s`;
  return lastError ? `${line}\n  last error (${lastError.deviceId}): ${lastError.message}` : line;
}

function summary(
  reason: string,
  site: Site,
  projects: ProjectTotals[],
  t: Totals,
  resends: number,
  elapsedMs: number,
  lastError?: { deviceId: string; message: string },
): string {
  const lines = [`realname-device-simulator: ${reason} after ${formatDuration(elapsedMs)}`];
  for (const p of projects) {
    const project = site.projects.find((x) => x.projectId === p.projectId)!;
    lines.push(`  ${p.projectId}  ${project.name}: ${counts(p)}`);
  }
  lines.push(`  total: ${counts(t)}  retries ${t.retries}  resends ${resends}`);
  if (t.pending > 0) lines.push(`  ${t.pending} punch(es) could not be uploaded before exit`);
  if (lastError) lines.push(`  last error (${lastError.deviceId}): ${lastError.message}`);
  return lines.join('\n');
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Open keep-alive sockets must not hold the process.
      setTimeout(() => process.exit(code), 100).unref();
    },
    (err: unknown) => {
      process.stderr.write(
        `realname-device-simulator failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
