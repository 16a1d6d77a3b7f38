import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@realname/testing';

export type StackServer = 'postgres' | 'clickhouse' | 'kafka';

/** Ports of the suite's own stack: apart from the shared local stack (55432, 58123, 59092 ...). */
export const FAULTS_STACK_PORTS = {
  REALNAME_PG_PORT: '56432',
  REALNAME_CH_HTTP_PORT: '58223',
  REALNAME_CH_TCP_PORT: '59100',
  REALNAME_CH_INTERSERVER_PORT: '59109',
  REALNAME_KAFKA_PORT: '59192',
  REALNAME_KAFKA_CONTROLLER_PORT: '59193',
  // The suite's own OpenID Connect provider (Keycloak, the same realm): the services under fault check
  // its tokens. The scenarios never stop it.
  REALNAME_OIDC_PORT: '59180',
  REALNAME_OIDC_MANAGEMENT_PORT: '59190',
} as const;

/**
 * The suite's own instance of deploy/local/stack.sh (its own directory and ports), so that stopping
 * and restarting servers never touches the shared local stack other people and tests are using.
 */
export class FaultStack {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly postgresUrl: string;
  readonly clickhouseUrl: string;
  readonly kafkaBrokers: string[];
  /** The suite's OpenID Connect issuer (realm `realname` of its own Keycloak). */
  readonly issuer: string;

  constructor(
    dir = join(REPO_ROOT, 'tmp', 'faults-stack'),
    ports: Record<string, string> = FAULTS_STACK_PORTS,
  ) {
    this.dir = dir;
    this.env = { REALNAME_STACK_DIR: dir, ...ports };
    this.postgresUrl = `postgres://realname:realname@127.0.0.1:${ports.REALNAME_PG_PORT}/realname`;
    this.clickhouseUrl = `http://127.0.0.1:${ports.REALNAME_CH_HTTP_PORT}`;
    this.kafkaBrokers = [`127.0.0.1:${ports.REALNAME_KAFKA_PORT}`];
    this.issuer = `http://127.0.0.1:${ports.REALNAME_OIDC_PORT}/realms/realname`;
  }

  up(): Promise<string> {
    return this.run(['up']);
  }

  down(): Promise<string> {
    return this.run(['down']);
  }

  stop(server: StackServer): Promise<string> {
    return this.run(['stop', server]);
  }

  start(server: StackServer): Promise<string> {
    return this.run(['start', server]);
  }

  restart(server: StackServer): Promise<string> {
    return this.run(['restart', server]);
  }

  /** Runs stack.sh with the suite's directory and ports; rejects with its output when it fails. */
  run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', [join(REPO_ROOT, 'deploy', 'local', 'stack.sh'), ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...this.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`stack.sh ${args.join(' ')} exited ${code}:\n${out}`)),
      );
    });
  }
}
