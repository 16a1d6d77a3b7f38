#!/usr/bin/env node
import { AgentLevel, SiteAgent } from './agent';
import { parseAgentArgs, USAGE } from './cli-args';

/** JSON lines on stderr: one object per event, ready for a log collector. */
function logLine(level: AgentLevel, message: string, fields: Record<string, unknown> = {}): void {
  if (level === 'debug' && !process.env.REALNAME_AGENT_DEBUG) return;
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }) + '\n');
}

export async function main(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const parsed = parseAgentArgs(argv, env);
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`realname-site-agent: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const a = parsed.args;
  const agent = new SiteAgent({
    gateway: a.gateway,
    devices: a.devices,
    pollIntervalMs: a.pollIntervalMs,
    claimLimit: a.claimLimit,
    deviceTimeoutMs: a.timeoutMs,
    gatewayTimeoutMs: a.timeoutMs,
    log: logLine,
  });
  if (a.once) {
    try {
      const n = await agent.runOnce();
      logLine('info', 'site agent: one pass done', { executed: n, ...agent.stats });
      return agent.stats.failed > 0 ? 1 : 0;
    } catch (err) {
      logLine('error', 'site agent: the pass stopped', { error: (err as Error).message });
      return 1;
    }
  }
  agent.start();
  await new Promise<void>((resolve) => {
    const stop = () => {
      logLine('info', 'site agent: stopping');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await agent.stop();
  logLine('info', 'site agent: stopped', { ...agent.stats });
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`realname-site-agent failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
