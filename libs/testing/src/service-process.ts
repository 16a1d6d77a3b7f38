import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

const handedOut = new Set<number>();

function tryListen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });
}

/**
 * A free TCP port on loopback for a service under test. Chosen below the kernel's ephemeral range
 * (32768-60999 on Linux), where outgoing connections (Kafka, PostgreSQL clients) take their local
 * ports, so the port is not grabbed between this check and the service binding it; never the same
 * port twice in one test process.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (handedOut.has(port)) continue;
    if (await tryListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found between 20000 and 32000');
}

export interface RunningService {
  name: string;
  process: ChildProcess;
  logFile: string;
  /** Resolves when the process has exited: its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM and wait (graceful). */
  stop(): Promise<void>;
  /** SIGKILL and wait: the process gets no chance to finish anything. */
  kill(): Promise<void>;
}

/**
 * Starts a built service (`services/<name>/dist/main.js`) as its own process with the given
 * environment, logs to `tmp/e2e-logs/<name>-<n>.log`, and waits until its /health/ready answers 200.
 */
export async function startService(
  name: string,
  env: Record<string, string>,
  readyUrl: string,
  timeoutMs = 60_000,
): Promise<RunningService> {
  const main = join(REPO_ROOT, 'services', name, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} does not exist: run "npm run build" first`);
  const logDir = join(REPO_ROOT, 'tmp', 'e2e-logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}-${Date.now()}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, [main], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => res({ code, signal })),
  );
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((e) => (exitCode = e.code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined)
      throw new Error(`${name} exited with ${exitCode} before it was ready; see ${logFile}`);
    try {
      const r = await fetch(readyUrl);
      if (r.status === 200) {
        const body = (await r.json().catch(() => ({}))) as { pid?: number };
        // Another process answering on this port is not the service we started.
        if (body.pid !== child.pid) {
          child.kill('SIGKILL');
          throw new Error(
            `${readyUrl} is answered by another process (pid ${body.pid}), not ${name} (pid ${child.pid}); see ${logFile}`,
          );
        }
        break;
      }
    } catch (err) {
      if (err instanceof Error && err.message.includes('answered by another process')) throw err;
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (Date.now() >= deadline) {
    child.kill('SIGKILL');
    throw new Error(`${name} was not ready within ${timeoutMs} ms; see ${logFile}`);
  }
  const waitExit = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  // The test runner may end first; never leave a service behind.
  process.once('exit', () => child.kill('SIGKILL'));
  return {
    name,
    process: child,
    logFile,
    exited,
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
  };
}

/** Runs a built service expecting it to refuse to start; returns its exit code and what it printed. */
export async function runToExit(
  name: string,
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  const main = join(REPO_ROOT, 'services', name, 'dist', 'main.js');
  const child = spawn(process.execPath, [main], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  clearTimeout(timer);
  return { code, output };
}
