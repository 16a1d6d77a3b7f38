import { randomBytes } from 'node:crypto';
import type { TokenProvider } from './demo-tokens';
import type { RegistryClient } from './registry-client';

export interface NationalUpstreamOptions {
  /** Reporting's base URL (its upload status and credentials API, its /metrics). */
  reportingUrl: string;
  /** The national simulator's admin API (`realname-uplink-simulators --admin-port`). */
  uplinkAdminUrl: string;
  registry: RegistryClient;
  /** A token allowed to put a project's uplink credentials into reporting. */
  credentialsToken: TokenProvider;
  /** A token allowed to read a project's upload status. */
  readToken: TokenProvider;
  /** The uplink target reporting knows the simulator as. */
  target?: string;
  /** Tries of the credentials PUT while reporting does not know the project yet (404), and the pause between. */
  attempts?: number;
  retryDelayMs?: number;
}

class NotFound extends Error {}

/** What the national platform holds of the site's projects, and what reporting still has to send. */
export interface UpstreamProgress {
  /** Punches (attendance items) the platform accepted. */
  punches: number;
  units: number;
  teams: number;
  workers: number;
  /** Today's records of the projects not yet accepted, by status (reporting's upload status API). */
  pending: number;
  sent: number;
  rejected: number;
  /** What the oldest pending records wait for, as reporting says it (`identity:…`, `team:…`). */
  waitingFor: string[];
}

interface AcceptedCounts {
  methods: Record<string, number>;
}

interface DayUploads {
  targets: {
    target: string;
    counts: { pending: number; sent: number; rejected: number; rejectedLocally: number };
    records: { status: string; waitingFor: string[] }[];
  }[];
}

/**
 * The demo's way to the national platform (simulated): for each project, the keys the platform would
 * issue (appid = project id, a fresh secret) are registered at the simulator together with what the
 * integrity platform already put upstream (the project and its enterprises), and handed to reporting,
 * which then uploads the project's units, teams, workers and, as they happen, its punches.
 */
export class NationalUpstream {
  private readonly target: string;

  constructor(private readonly o: NationalUpstreamOptions) {
    this.target = o.target ?? 'national';
  }

  /** Issues the project's keys at the simulator and gives them to reporting. */
  async connect(projectId: string): Promise<void> {
    const project = await this.o.registry.project(projectId);
    const corps = project.participants.map((p) => ({ corpCode: p.creditCode, corpName: p.corpName }));
    const contractor =
      corps.find((c) => c.corpCode === project.generalContractorCode) ??
      // A project synced without its general contractor: its first construction unit stands in.
      corps.find((_, i) => ['006', '001', '009'].includes(project.participants[i].unitType)) ??
      corps[0];
    if (!contractor) throw new Error(`project ${projectId} has no participating unit to register upstream`);
    // The national platform issues a 32-character secret per project (the AES-256 key of its fields).
    const issued = { appid: projectId, secret: randomBytes(16).toString('hex') };
    // A project registered by an earlier run keeps its keys: the answer carries the secret in force.
    const registered = (await this.call('POST', `${this.o.uplinkAdminUrl}/projects`, undefined, {
      ...issued,
      projectCode: projectId,
      name: project.name,
      contractor,
      corps,
    })) as { secret: string };
    const credentials = { appid: issued.appid, secret: registered.secret };
    const url = `${this.o.reportingUrl}/api/v1/reporting/projects/${projectId}/uplinks/${this.target}/credentials`;
    // Reporting knows a project once it has read the registry's events of it: a fresh reporting needs a moment.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.call('PUT', url, this.o.credentialsToken, credentials);
        return;
      } catch (err) {
        if (!(err instanceof NotFound) || attempt >= (this.o.attempts ?? 30)) throw err;
        await new Promise((r) => setTimeout(r, this.o.retryDelayMs ?? 2_000));
      }
    }
  }

  /** Accepted upstream (the simulator's counts) and today's backlog of the projects (reporting's). */
  async progress(projectIds: readonly string[], day: string): Promise<UpstreamProgress> {
    const progress: UpstreamProgress = {
      punches: 0,
      units: 0,
      teams: 0,
      workers: 0,
      pending: 0,
      sent: 0,
      rejected: 0,
      waitingFor: [],
    };
    const waiting = new Set<string>();
    for (const projectId of projectIds) {
      const accepted = (await this.call(
        'GET',
        `${this.o.uplinkAdminUrl}/accepted?projectCode=${encodeURIComponent(projectId)}`,
      )) as AcceptedCounts;
      progress.punches += accepted.methods['WorkerAttendance.Add'] ?? 0;
      progress.units += accepted.methods['ProjectSubContractor.Add'] ?? 0;
      progress.teams += accepted.methods['Team.Add'] ?? 0;
      progress.workers += accepted.methods['ProjectWorker.Add'] ?? 0;
      const uploads = (await this.call(
        'GET',
        `${this.o.reportingUrl}/api/v1/reporting/projects/${projectId}/days/${day}/uploads?target=${this.target}`,
        this.o.readToken,
      )) as DayUploads;
      for (const t of uploads.targets.filter((t) => t.target === this.target)) {
        progress.pending += t.counts.pending;
        progress.sent += t.counts.sent;
        progress.rejected += t.counts.rejected + t.counts.rejectedLocally;
        for (const r of t.records)
          if (r.status === 'pending') for (const w of r.waitingFor) waiting.add(w.replace(/:.*/, ''));
      }
    }
    progress.waitingFor = [...waiting].sort();
    return progress;
  }

  private async call(method: string, url: string, token?: TokenProvider, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${await token()}`;
    const res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status === 404) throw new NotFound(`${method} ${url} -> 404: ${text.slice(0, 300)}`);
    if (res.status >= 300) throw new Error(`${method} ${url} -> ${res.status}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : {};
  }
}
