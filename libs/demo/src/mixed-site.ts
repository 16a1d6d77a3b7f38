import { randomBytes } from 'node:crypto';
import {
  HikvisionTerminal,
  HttpV2Device,
  OpenV1Device,
  UfaceDevice,
  ZK_LANGUAGE_CHINESE,
  ZktecoDevice,
} from '@realname/device-simulator';
import { AgentDeviceConfig, SiteAgent } from '@realname/site-agent';
import type { DemoTokens } from './demo-tokens';
import { DemoProject, DemoWorker, RegistryClient } from './registry-client';
import type { NationalUpstream } from './upstream';

export const DEMO_FAMILIES = ['zkteco-push', 'hikvision-isapi', 'uface', 'httpv2', 'open-v1'] as const;
export type DemoFamily = (typeof DEMO_FAMILIES)[number];

export interface MixedSiteOptions {
  gatewayUrl: string;
  /** Access tokens (renewed as needed): device administrator, reads, site writes, the integrity sync. */
  tokens: DemoTokens;
  registryUrl: string;
  attendanceUrl: string;
  projects: number;
  workersPerProject: number;
  /** Punches per second over all devices. */
  punchesPerSecond: number;
  log: (line: string) => void;
  /** The national platform (simulated) the site's projects report to through reporting; none: no upstream. */
  upstream?: (registry: RegistryClient) => NationalUpstream;
}

/** One simulated device: how it punches, and how it stops. */
interface RunningDevice {
  deviceId: string;
  family: DemoFamily;
  project: DemoProject;
  punch(personId: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The demo's site: the registry's projects (synced from the integrity simulator) with workers entered
 * on them, and at every project one gate device of each family — ZKTeco, Hikvision (driven through a
 * site agent), Uface, HTTPv2 and an open-protocol terminal. The workers are pushed to every device by
 * the platform; the devices then report the workers' punches, each in its own protocol.
 */
export class MixedSite {
  private readonly devices: RunningDevice[] = [];
  private readonly workers = new Map<string, DemoWorker[]>();
  private readonly sent = new Map<DemoFamily, number>(DEMO_FAMILIES.map((f) => [f, 0]));
  private agent?: SiteAgent;
  private upstream?: NationalUpstream;
  private timer?: NodeJS.Timeout;
  private progress?: NodeJS.Timeout;
  private readonly run = randomBytes(3).toString('hex');

  constructor(private readonly o: MixedSiteOptions) {}

  async start(): Promise<void> {
    const { reader, siteWriter, syncTrigger } = this.o.tokens;
    const registry = new RegistryClient(this.o.registryUrl, {
      read: reader,
      write: siteWriter,
      sync: syncTrigger,
    });
    await registry.sync();
    const projects = await registry.projects(this.o.projects);
    if (projects.length === 0)
      throw new Error('the registry has no projects: is the integrity simulator running?');
    if (this.o.upstream) await this.connectUpstream(this.o.upstream(registry), projects);
    const agentDevices: AgentDeviceConfig[] = [];
    for (const project of projects) {
      let workers = await registry.enteredWorkers(project.projectId);
      if (workers.length < this.o.workersPerProject) {
        workers = workers.concat(
          await registry.enterWorkers(
            project.projectId,
            this.o.workersPerProject - workers.length,
            `demo-${this.run}`,
          ),
        );
      }
      this.workers.set(project.projectId, workers);
      this.o.log(`${project.projectId} ${project.name}: ${workers.length} workers entered`);
      for (const family of DEMO_FAMILIES)
        this.devices.push(await this.startDevice(project, family, agentDevices));
    }
    this.agent = new SiteAgent({ gateway: this.o.gatewayUrl, devices: agentDevices, pollIntervalMs: 2_000 });
    this.agent.start();
    this.o.log(
      `${this.devices.length} devices of ${DEMO_FAMILIES.length} families on ${projects.length} projects; a site agent drives the Hikvision and Uface devices`,
    );
    this.timer = setInterval(() => void this.punchOne(), Math.max(20, 1000 / this.o.punchesPerSecond));
    this.progress = setInterval(() => void this.report(projects), 5_000);
  }

  /** Each project's keys at the national simulator and in reporting; the site runs on without upstream if that fails. */
  private async connectUpstream(upstream: NationalUpstream, projects: DemoProject[]): Promise<void> {
    try {
      for (const project of projects) await upstream.connect(project.projectId);
      this.upstream = upstream;
      this.o.log(
        `${projects.length} project(s) registered at the national simulator; reporting has their credentials and uploads as the workers punch`,
      );
    } catch (err) {
      this.o.log(
        `no upstream for this run (the site runs on): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.progress);
    await this.agent?.stop();
    await Promise.all(this.devices.map((d) => d.stop().catch(() => undefined)));
  }

  private async register(project: DemoProject, family: DemoFamily, extra: Record<string, unknown>) {
    const deviceId = `${project.projectId}-${family}`.slice(0, 64);
    const res = await fetch(`${this.o.gatewayUrl}/api/v1/devices`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await this.o.tokens.deviceAdmin()}`,
      },
      body: JSON.stringify({
        deviceId,
        projectId: project.projectId,
        region: project.region,
        family,
        gate: `${family} gate`,
        defaultDirection: 'in',
        ...extra,
      }),
    });
    if (res.status >= 300) throw new Error(`registering ${deviceId}: ${res.status} ${await res.text()}`);
    return deviceId;
  }

  private async startDevice(
    project: DemoProject,
    family: DemoFamily,
    agentDevices: AgentDeviceConfig[],
  ): Promise<RunningDevice> {
    const gw = this.o.gatewayUrl;
    const token = randomBytes(18).toString('base64url');
    const serial = `${family.slice(0, 2).toUpperCase()}${project.projectId.slice(-8)}${this.run}`;
    const base = { family, project };
    switch (family) {
      case 'zkteco-push': {
        const deviceId = await this.register(project, family, { serial });
        const device = new ZktecoDevice({
          baseUrl: gw,
          serial,
          language: ZK_LANGUAGE_CHINESE,
          batchSize: 20,
        });
        device.start();
        return { ...base, deviceId, punch: async (pin) => void device.punch(pin), stop: () => device.stop() };
      }
      case 'hikvision-isapi': {
        const deviceId = await this.register(project, family, { token });
        const terminal = new HikvisionTerminal({ gatewayUrl: gw, deviceId, token });
        const isapi = await terminal.listen();
        terminal.startHeartbeats(20_000);
        agentDevices.push({ deviceId, token, family, baseUrl: isapi, user: 'admin', password: 'Hik12345' });
        return {
          ...base,
          deviceId,
          punch: async (pin) =>
            void (await terminal.punch({ employeeNo: pin, form: pin.endsWith('7') ? 'json' : 'multipart' })),
          stop: async () => {
            terminal.stopHeartbeats();
            await terminal.close();
          },
        };
      }
      case 'uface': {
        const deviceId = await this.register(project, family, { serial, token });
        const device = new UfaceDevice({
          gatewayUrl: `${gw}/uface/v1/${deviceId}/${token}`,
          deviceKey: serial,
        });
        const api = await device.listen();
        device.start(3_000);
        agentDevices.push({
          deviceId,
          token,
          family,
          baseUrl: api,
          password: '12345678',
          kinds: ['records.query'],
        });
        return {
          ...base,
          deviceId,
          punch: async (pin) => void (await device.recognise(pin)),
          stop: async () => {
            await device.stop();
            await device.close();
          },
        };
      }
      case 'httpv2': {
        const deviceId = await this.register(project, family, { serial, token });
        const device = new HttpV2Device({ baseUrl: `${gw}/httpv2/${token}`, sn: serial });
        device.start(3_000);
        return {
          ...base,
          deviceId,
          punch: async (pin) => {
            device.identify(pin);
            void device.flush();
          },
          stop: () => device.stop(),
        };
      }
      case 'open-v1': {
        const secret = randomBytes(16).toString('hex');
        const deviceId = await this.register(project, family, { secret });
        const device = new OpenV1Device({ baseUrl: gw, deviceId, secret, heartbeatEveryS: 3 });
        device.start();
        return { ...base, deviceId, punch: async (pin) => void device.punch(pin), stop: () => device.stop() };
      }
    }
  }

  /** A random worker passes a random gate of their project. */
  private async punchOne(): Promise<void> {
    const device = this.devices[Math.floor(Math.random() * this.devices.length)];
    const workers = this.workers.get(device.project.projectId) ?? [];
    if (workers.length === 0) return;
    const worker = workers[Math.floor(Math.random() * workers.length)];
    this.sent.set(device.family, (this.sent.get(device.family) ?? 0) + 1);
    await device.punch(worker.personId).catch((err) => this.o.log(`${device.deviceId}: ${String(err)}`));
  }

  private async upstreamProgress(
    upstream: NationalUpstream,
    projects: DemoProject[],
    today: string,
  ): Promise<string> {
    try {
      const p = await upstream.progress(
        projects.map((x) => x.projectId),
        today,
      );
      const waiting = p.waitingFor.length ? ` (waiting for ${p.waitingFor.join(', ')})` : '';
      return (
        `national platform (simulated) holds ${p.punches} punches of all days, units ${p.units}, teams ${p.teams}, workers ${p.workers}; ` +
        `reporting's backlog today: ${p.pending} pending${waiting}, ${p.sent} sent, ${p.rejected} rejected`
      );
    } catch (err) {
      return `upstream progress unavailable: ${String(err).slice(0, 300)}`;
    }
  }

  private async report(projects: DemoProject[]): Promise<void> {
    try {
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      const res = await fetch(`${this.o.gatewayUrl}/api/v1/devices`, {
        headers: { authorization: `Bearer ${await this.o.tokens.deviceAdmin()}` },
      });
      if (res.status !== 200) throw new Error(`devices: ${res.status} ${(await res.text()).slice(0, 200)}`);
      const { devices } = (await res.json()) as { devices: { deviceId: string; online: boolean }[] };
      const mine = new Set(this.devices.map((d) => d.deviceId));
      const online = devices.filter((d) => mine.has(d.deviceId) && d.online).length;
      let recorded = 0;
      for (const p of projects) {
        const r = await fetch(
          `${this.o.attendanceUrl}/api/v1/projects/${p.projectId}/punch-counts?from=${today}&to=${today}`,
          { headers: { authorization: `Bearer ${await this.o.tokens.reader()}` } },
        );
        if (r.status !== 200) throw new Error(`punch counts: ${r.status} ${(await r.text()).slice(0, 200)}`);
        const { days } = (await r.json()) as { days: { punches: number | string }[] };
        recorded += days.reduce((a, d) => a + Number(d.punches), 0);
      }
      const sent = DEMO_FAMILIES.map((f) => `${f} ${this.sent.get(f)}`).join(' | ');
      this.o.log(
        `made at the gates: ${sent} — devices online ${online}/${this.devices.length} — in attendance today: ${recorded} ` +
          '(the same person again at one face terminal within 10 s counts once)',
      );
      if (this.upstream) this.o.log(await this.upstreamProgress(this.upstream, projects, today));
    } catch (err) {
      this.o.log(`progress unavailable: ${String(err)}`);
    }
  }
}
