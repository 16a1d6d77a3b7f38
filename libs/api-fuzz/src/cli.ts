#!/usr/bin/env node
/**
 * The API fuzzing stage (bash libs/api-fuzz/api-fuzz.sh): for every REST service in {@link TARGETS},
 * builds and starts it on the local stack with a little data, then runs Schemathesis against its
 * OpenAPI document once with a real token of each of two scopes, every check on. Prints one line per
 * service and identity and exits 1 on any failure; reports go to tmp/api-fuzz/<service>-<identity>/.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, testInfrastructure, tokenFor, uniqueName } from '@realname/testing';
import { ATTENDANCE } from './attendance';
import { DEVICE_GATEWAY } from './device-gateway';
import { REGISTRY } from './registry';
import { REPORTING } from './reporting';
import { runSchemathesis } from './schemathesis';
import type { FuzzTarget } from './targets';

/** Every REST service the stage fuzzes: one entry each. */
export const TARGETS: FuzzTarget[] = [ATTENDANCE, DEVICE_GATEWAY, REGISTRY, REPORTING];

/** Access tokens live 300 s: a run is stopped (and fails) before its token would expire. */
const RUN_TIMEOUT_MS = 270_000;

const USAGE = `Usage: bash libs/api-fuzz/api-fuzz.sh [options]
  --services a,b       services to fuzz (default: all): ${TARGETS.map((t) => t.service).join(', ')}
  --max-examples 100   test cases per operation and phase
  --workers 1          concurrent Schemathesis workers (more than one trips a thread-safety fault of
                       Hypothesis on Python 3.11: "AST constructor recursion depth mismatch")
  --no-build           do not build the services first
  --report FILE        also write the outcome as a test report (one test per service and identity,
                       the shape of a jest --json report) for the test command's summary
  --serve              start the services with their data and wait (Ctrl-C stops them): to run
                       Schemathesis by hand, e.g. with \`st replay\``;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      services: { type: 'string' },
      'max-examples': { type: 'string', default: '100' },
      workers: { type: 'string', default: '1' },
      'no-build': { type: 'boolean', default: false },
      report: { type: 'string' },
      serve: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const wanted = values.services?.split(',') ?? TARGETS.map((t) => t.service);
  const unknown = wanted.filter((s) => !TARGETS.some((t) => t.service === s));
  if (unknown.length) {
    console.error(`api-fuzz: no target ${unknown.join(', ')}\n${USAGE}`);
    return 2;
  }
  const schemathesis = process.env.SCHEMATHESIS ?? 'schemathesis';
  const infra = await testInfrastructure();
  const lines: string[] = [];
  let failed = false;
  const outcomes = { passed: 0, failed: 0 };
  for (const target of TARGETS.filter((t) => wanted.includes(t.service))) {
    if (!values['no-build']) {
      const built = spawnSync('npx', ['tsc', '-b', `services/${target.service}`], {
        cwd: REPO_ROOT,
        stdio: 'inherit',
      });
      if (built.status !== 0) {
        lines.push(`api-fuzz ${target.service}: build failed`);
        failed = true;
        continue;
      }
    }
    const t0 = Date.now();
    const started = await target.start(infra, uniqueName('fuzz'));
    console.log(
      `api-fuzz ${target.service}: started with data in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
    try {
      if (values.serve) {
        console.log(`api-fuzz ${target.service}: ${started.url}/api/v1/openapi.json (Ctrl-C stops it)`);
        await new Promise((res) => {
          process.once('SIGINT', res);
          process.once('SIGTERM', res);
        });
        continue;
      }
      for (const who of target.identities) {
        const t1 = Date.now();
        const r = await runSchemathesis({
          schemathesis,
          openapiUrl: `${started.url}/api/v1/openapi.json`,
          token: await tokenFor(who),
          reportDir: join(REPO_ROOT, 'tmp', 'api-fuzz', `${target.service}-${who}`),
          maxExamples: Number(values['max-examples']),
          workers: Number(values.workers),
          timeoutMs: RUN_TIMEOUT_MS,
          hooksDir: join(REPO_ROOT, 'libs', 'api-fuzz', 'hooks'),
        });
        const ok = r.exitCode === 0 && r.failures === 0 && !r.timedOut;
        const line =
          `api-fuzz ${target.service} ${who}: ${r.operations} operations, ${r.failures} failures` +
          (r.timedOut ? `, stopped after ${RUN_TIMEOUT_MS / 1000} s (token lifetime)` : '') +
          (ok ? '' : ` (schemathesis exit ${r.exitCode})`) +
          ` in ${((Date.now() - t1) / 1000).toFixed(0)} s`;
        outcomes[ok ? 'passed' : 'failed'] += 1;
        if (!ok) {
          failed = true;
          console.log(r.tail);
        }
        console.log(line);
        lines.push(line);
      }
    } finally {
      await started.stop();
    }
  }
  console.log('\n' + lines.join('\n'));
  if (values.report) {
    // A target that could not even start counts as one failed test.
    const failedTotal = outcomes.failed + (failed && outcomes.failed === 0 ? 1 : 0);
    writeFileSync(
      values.report,
      JSON.stringify({
        numPassedTests: outcomes.passed,
        numFailedTests: failedTotal,
        numPendingTests: 0,
        numTodoTests: 0,
        numTotalTests: outcomes.passed + failedTotal,
      }),
    );
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
