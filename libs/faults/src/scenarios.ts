import type { BenchFamily, OpenLoopLoad } from '@realname/bench';
import type { FaultSite, ServiceName } from './site';
import type { FaultStack } from './stack';

export interface FaultContext {
  site: FaultSite;
  stack: FaultStack;
  load: OpenLoopLoad;
  log(msg: string): void;
}

/** What an injection did: when the fault started and ended, and what to say about it. */
export interface Injection {
  faultStart: number;
  /**
   * When what was killed or stopped is back: for a killed service, the moment it is started again (it
   * may take a while to be ready: that is part of the time to recover); for a server, the moment
   * stack.sh has it answering again; for a resend storm, when the device has sent everything again.
   */
  faultEnd: number;
  /**
   * Completes when the suite's own part of the recovery (a service it restarts) is done, with what to say
   * about it (how long the restarted process took to answer).
   */
  restarted: Promise<string | void>;
  note?: string;
}

export interface Scenario {
  id: string;
  title: string;
  inject(ctx: FaultContext): Promise<Injection>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function killService(id: string, name: ServiceName, label: string): Scenario {
  return {
    id,
    title: `SIGKILL ${label}`,
    async inject({ site, log }) {
      const faultStart = Date.now();
      await site.kill(name);
      log(`${name} killed (SIGKILL); starting it again`);
      const faultEnd = Date.now();
      const restarted = site.restart(name).then(({ answeredMs, readyMs }) => {
        const said = `the restarted ${name} answered HTTP after ${s(answeredMs)} and was ready after ${s(readyMs)}`;
        log(said);
        return said;
      });
      return { faultStart, faultEnd, restarted };
    },
  };
}

function stopServer(id: string, title: string, server: 'postgres' | 'clickhouse', seconds: number): Scenario {
  return {
    id,
    title,
    async inject({ stack, log }) {
      const faultStart = Date.now();
      await stack.stop(server);
      // Stopped for the whole time: counted from the moment it is down (a graceful stop takes a while).
      log(`${server} stopped (${s(Date.now() - faultStart)} to stop); starting it again in ${seconds} s`);
      const downAt = Date.now();
      await sleep(seconds * 1000);
      await stack.start(server);
      const faultEnd = Date.now();
      log(
        `${server} answering again (down ${s(faultEnd - downAt)}, ${s(faultEnd - faultStart)} since the stop began)`,
      );
      return { faultStart, faultEnd, restarted: Promise.resolve() };
    },
  };
}

function restartServer(id: string, title: string, server: 'postgres' | 'kafka'): Scenario {
  return {
    id,
    title,
    async inject({ stack, log }) {
      const faultStart = Date.now();
      await stack.restart(server);
      const faultEnd = Date.now();
      log(`${server} restarted and answering (${s(faultEnd - faultStart)})`);
      return { faultStart, faultEnd, restarted: Promise.resolve() };
    },
  };
}

/** One device of each family sends everything it has sent so far three more times (same record numbers). */
const resendStorm: Scenario = {
  id: 'resend-3x',
  title: 'one device per family resends everything 3 times',
  async inject({ load, log }) {
    const faultStart = Date.now();
    const byFamily = new Map<BenchFamily, string>();
    for (const [deviceId, uploads] of load.history) {
      const family = uploads[0]?.device.family;
      if (family && !byFamily.has(family)) byFamily.set(family, deviceId);
    }
    const results = await Promise.all([...byFamily.values()].map((d) => load.resend(d, 3)));
    const faultEnd = Date.now();
    const punches = results.reduce((a, r) => a + r.punches, 0);
    const uploads = results.reduce((a, r) => a + r.uploads, 0);
    log(`${byFamily.size} devices resent ${punches} punches in ${uploads} uploads`);
    return {
      faultStart,
      faultEnd,
      restarted: Promise.resolve(),
      note: `${byFamily.size} devices (${[...byFamily.keys()].join(', ')}) resent ${punches} punches in ${uploads} uploads`,
    };
  },
};

export const SCENARIOS: Scenario[] = [
  killService('kill-gateway', 'device-gateway', 'device gateway'),
  killService('kill-attendance', 'attendance', 'attendance'),
  killService('kill-registry', 'worker-registry', 'worker registry'),
  restartServer('kafka-restart', 'Kafka broker restart', 'kafka'),
  restartServer('postgres-fast-restart', 'PostgreSQL fast restart (pg_ctl restart -m fast)', 'postgres'),
  stopServer('postgres-stop-5s', 'PostgreSQL stopped for 5 s', 'postgres', 5),
  stopServer('postgres-stop-30s', 'PostgreSQL stopped for 30 s', 'postgres', 30),
  stopServer('clickhouse-stop-60s', 'ClickHouse stopped for 60 s', 'clickhouse', 60),
  resendStorm,
];

export function s(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
