import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
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
      if (r.status === 200) break;
    } catch {
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
