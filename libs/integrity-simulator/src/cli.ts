#!/usr/bin/env node
import { parseArgs, USAGE } from './cli-args';
import { IntegritySimulator, startIntegritySimulator } from './server';

const STATUS: Record<string, string> = {
  '001': 'preparation',
  '002': 'approved',
  '003': 'under construction',
  '004': 'completed',
  '005': 'suspended',
};

export async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`realname-integrity-simulator: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const args = parsed.args;
  // Whoever reads our output may go away (a closed pipe): keep serving, say nothing more.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  let sim: IntegritySimulator;
  try {
    sim = await startIntegritySimulator({
      port: args.port,
      host: args.host,
      apiKey: args.apiKey,
      seed: args.seed,
      projects: args.projects,
      region: args.region,
      wrongCategoryRate: args.wrongCategoryRate,
      emptyPostRate: args.emptyPostRate,
      history: args.history,
      pageSizeMax: args.pageSizeMax,
      ...(args.verbose
        ? { log: (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) }
        : {}),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const message =
      e.code === 'EADDRINUSE' ? `${args.host}:${args.port} is already in use (try --port 0)` : e.message;
    process.stderr.write(`realname-integrity-simulator: ${message}\n`);
    return e instanceof RangeError ? 2 : 1;
  }

  const f = sim.fixtures;
  const lines = [
    `realname-integrity-simulator listening on ${sim.url}  (seed ${args.seed}, region ${f.region})`,
    `  data: ${f.projects.length} projects, ${f.enterprises.length} enterprises, ${f.participants.length} participants, ` +
      `${f.keyPersons.length} key persons; feed seq 1..${f.lastSeq}`,
    `  deliberate anomalies: ${f.anomalies.wrongCategory.length} wrong registration categor` +
      `${f.anomalies.wrongCategory.length === 1 ? 'y' : 'ies'}, ${f.anomalies.emptyPosts.length} empty post(s)`,
    ...f.projects.map(
      (p) => `    ${p.projectCode}  ${p.status} ${(STATUS[p.status] ?? '').padEnd(18)} ${p.name}`,
    ),
    `  api:   GET ${sim.url}/api/v1/changes?cursor=&limit=100  (header X-Api-Key)`,
    `         GET ${sim.url}/api/v1/projects/{projectCode}, GET ${sim.url}/api/v1/enterprises/{creditCode}`,
    `  admin: POST /__admin/faults, POST /__admin/changes, GET /__admin/state, GET /__admin/fixtures, POST /__admin/reset (loopback only)`,
    'Ctrl-C stops.',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        process.exit(130);
      }
      stopping = true;
      process.stderr.write(`\nrealname-integrity-simulator: ${signal}, stopping\n`);
      void sim.close().then(() => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        const s = sim.state();
        process.stdout.write(
          `realname-integrity-simulator stopped: ${s.requests.api} API request(s), ${s.requests.faulted} faulted, last seq ${s.lastSeq}\n`,
        );
        resolve(0);
      });
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `realname-integrity-simulator failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
