#!/usr/bin/env node
/**
 * `realname-uplink-simulators`: the national platform simulator as a process, with its admin API (the
 * demo starts it; reporting is pointed at it with `UPLINK_TARGETS=national=http://127.0.0.1:8095/open.api`).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { notEmpty, ParsedCommandLine, readCommandLine, ValueCheck, wholeNumber } from '@realname/contracts';
import { NATIONAL_WRITE_METHODS, startNationalAdmin } from './national-admin';
import { NationalSimulator, NationalSnapshot, RateLimitAnswer, startNationalSimulator } from './national';

export const USAGE = `Usage: realname-uplink-simulators [options]

The national platform (全国建筑工人管理服务信息平台) simulated as a real HTTP server: signatures, field
encryption, batch limits, dependency order, asynchronous results, "already exists", rate limits. It knows
no project at start: each project's appid and secret, its enterprises and the project itself (what the
integrity platform puts upstream) are registered through the admin API. Runs until Ctrl-C.

  --port N                 the platform's port (POST /open.api)               [default 8095]
  --admin-port N           the admin API's port                               [default 8096]
  --host ADDRESS           address both listen on                             [default 127.0.0.1]
  --async-delay-ms N       delay before a write's result is ready             [default 200]
  --rate-limit N           calls per second of one appid before refusing      [default: no limit]
  --rate-limit-answer A    http-429 or busy-code (code -5 in a 200 answer)    [default http-429]
  --state FILE             keep what the platform holds in FILE (read at start, written every 10 s
                           and at the end), so a later run goes on where this one stopped
  --help                   this text

Admin API (no authentication: keep it on loopback):
  POST /projects   {"appid","secret","projectCode","name","contractor":{"corpCode","corpName"},"corps":[...]}
                   the project's keys, its enterprises and the project held upstream (not its units,
                   teams or workers: reporting uploads those)
  GET  /accepted   accepted records per write method (?projectCode=P for one project) and calls answered
`;

export interface UplinkSimulatorArgs {
  port: number;
  adminPort: number;
  host: string;
  asyncDelayMs: number;
  rateLimit?: { callsPerSecond: number; answer: RateLimitAnswer };
  stateFile?: string;
}

const OPTIONS = {
  port: { type: 'string' },
  'admin-port': { type: 'string' },
  host: { type: 'string' },
  'async-delay-ms': { type: 'string' },
  'rate-limit': { type: 'string' },
  'rate-limit-answer': { type: 'string' },
  state: { type: 'string' },
} as const;

const answerOf: ValueCheck = (v, flag) => {
  if (v !== 'http-429' && v !== 'busy-code')
    throw new Error(`${flag} must be http-429 or busy-code (got "${v}")`);
  return v;
};

/** Reads the command line; errors name the flag at fault. */
export function parseUplinkSimulatorArgs(argv: readonly string[]): ParsedCommandLine<UplinkSimulatorArgs> {
  const line = readCommandLine(argv, OPTIONS);
  if (line.kind !== 'values') return line;
  const o = line.values;
  try {
    const number = (name: keyof typeof OPTIONS, fallback: number, min: number, max: number): number => {
      const v = o[name];
      return v === undefined ? fallback : Number(wholeNumber(min, max)(v, `--${name}`));
    };
    const callsPerSecond = o['rate-limit'] === undefined ? undefined : number('rate-limit', 0, 1, 100_000);
    const answer =
      o['rate-limit-answer'] === undefined
        ? 'http-429'
        : answerOf(o['rate-limit-answer'], '--rate-limit-answer');
    if (callsPerSecond === undefined && o['rate-limit-answer'] !== undefined)
      throw new Error('--rate-limit-answer needs --rate-limit N');
    return {
      kind: 'run',
      args: {
        port: number('port', 8095, 0, 65535),
        adminPort: number('admin-port', 8096, 0, 65535),
        host: o.host === undefined ? '127.0.0.1' : String(notEmpty(o.host, '--host')),
        asyncDelayMs: number('async-delay-ms', 200, 0, 600_000),
        ...(o.state === undefined ? {} : { stateFile: String(notEmpty(o.state, '--state')) }),
        ...(callsPerSecond === undefined
          ? {}
          : { rateLimit: { callsPerSecond, answer: answer as RateLimitAnswer } }),
      },
    };
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
}

/** Writes the simulator's holdings to `file` whole (a temporary file renamed over it: never half a file). */
function saveState(simulator: NationalSimulator, file: string): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(simulator.snapshot()), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseUplinkSimulatorArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`realname-uplink-simulators: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const args = parsed.args;
  // Whoever reads our output may go away (a closed pipe): keep serving, say nothing more.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const inUse = (err: unknown, port: number): number => {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(
      `realname-uplink-simulators: ${e.code === 'EADDRINUSE' ? `${args.host}:${port} is already in use (try another port, or 0)` : e.message}\n`,
    );
    return 1;
  };
  let simulator;
  try {
    simulator = await startNationalSimulator({
      projects: [],
      asyncDelayMs: args.asyncDelayMs,
      port: args.port,
      host: args.host,
    });
  } catch (err) {
    return inUse(err, args.port);
  }
  simulator.setRateLimit(args.rateLimit);
  const stateFile = args.stateFile;
  let saver: NodeJS.Timeout | undefined;
  if (stateFile) {
    if (existsSync(stateFile)) {
      try {
        simulator.restore(JSON.parse(readFileSync(stateFile, 'utf8')) as NationalSnapshot);
      } catch (err) {
        await simulator.close();
        process.stderr.write(
          `realname-uplink-simulators: ${stateFile} cannot be read (${(err as Error).message}): remove it to start empty\n`,
        );
        return 1;
      }
    }
    let saved = -1;
    saver = setInterval(() => {
      const held = simulator.acceptedCount() + simulator.calls().length;
      if (held !== saved) saveState(simulator, stateFile);
      saved = held;
    }, 10_000);
  }
  let admin;
  try {
    admin = await startNationalAdmin(simulator, { port: args.adminPort, host: args.host });
  } catch (err) {
    clearInterval(saver);
    await simulator.close();
    return inUse(err, args.adminPort);
  }
  const limit = args.rateLimit
    ? `${args.rateLimit.callsPerSecond} calls/s per appid (${args.rateLimit.answer})`
    : 'none';
  process.stdout.write(
    [
      `national platform simulator on ${simulator.url}  (results after ${args.asyncDelayMs} ms, rate limit ${limit})`,
      `  admin: POST ${admin.url}/projects, GET ${admin.url}/accepted`,
      ...(stateFile
        ? [`  state: ${stateFile} (${simulator.acceptedCount()} accepted records held from earlier runs)`]
        : []),
      'Ctrl-C stops.',
    ].join('\n') + '\n',
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) process.exit(130);
      stopping = true;
      const accepted = NATIONAL_WRITE_METHODS.map((m) => [m, simulator.acceptedCount(m)] as const)
        .filter(([, n]) => n > 0)
        .map(([m, n]) => `${m} ${n}`);
      process.stderr.write(`\nrealname-uplink-simulators: ${signal}, stopping\n`);
      clearInterval(saver);
      if (stateFile) saveState(simulator, stateFile);
      void Promise.all([admin.close(), simulator.close()]).then(() => {
        process.stdout.write(
          `realname-uplink-simulators stopped: ${simulator.calls().length} call(s), accepted ${accepted.join(', ') || 'nothing'}\n`,
        );
        resolve(0);
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `realname-uplink-simulators failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
