import { randomBytes } from 'node:crypto';
import { createRng, fakePerson, workerRegistration } from '@realname/fixtures';

export interface DemoProject {
  projectId: string;
  name: string;
  region: string;
}

export interface DemoProjectDetail extends DemoProject {
  generalContractorCode: string | null;
  participants: { creditCode: string; corpName: string; unitType: string }[];
}

export interface DemoWorker {
  workerId: string;
  enrolmentId: string;
  /** The PIN / person id the registry gave the worker on the project's devices. */
  personId: string;
  name: string;
}

/** Today in Asia/Shanghai, YYYY-MM-DD. */
export function shanghaiToday(now = Date.now()): string {
  return new Date(now + 8 * 3600_000).toISOString().slice(0, 10);
}

/**
 * Access tokens for the registry (OAuth 2.0 bearer tokens; each provider gives a valid token every time
 * it is called, renewing it when needed): reads (a supervisor, a project manager or a municipal
 * system), site writes (a project manager of the project or a municipal system of its region) and
 * pulling the integrity sync (the platform operator or a province supervisor).
 */
export interface RegistryTokens {
  read: () => Promise<string>;
  write: () => Promise<string>;
  /** Default: `write`. */
  sync?: () => Promise<string>;
}

/** The worker registry's REST API, as far as the demo needs it (what a site manager does by hand). */
export class RegistryClient {
  /** Without tokens the requests carry no Authorization header (a registry that checks none). */
  constructor(
    private readonly baseUrl: string,
    private readonly tokens?: RegistryTokens,
  ) {}

  async sync(): Promise<void> {
    await this.call('POST', '/api/v1/integrity-sync');
  }

  async projects(limit: number): Promise<DemoProject[]> {
    const page = await this.call('GET', `/api/v1/projects?pageSize=${limit}`);
    return (page.projects as DemoProject[]).slice(0, limit);
  }

  /** One project with its participating units (what the integrity platform registered). */
  async project(projectId: string): Promise<DemoProjectDetail> {
    const p = await this.call('GET', `/api/v1/projects/${projectId}`);
    return {
      projectId: p.projectId,
      name: p.name,
      region: p.region,
      generalContractorCode: p.generalContractorCode ?? null,
      participants: (p.participants as DemoProjectDetail['participants']).map((u) => ({
        creditCode: u.creditCode,
        corpName: u.corpName,
        unitType: u.unitType,
      })),
    };
  }

  /** Workers already entered on the project (a demo run again reuses them). */
  async enteredWorkers(projectId: string): Promise<DemoWorker[]> {
    const page = await this.call(
      'GET',
      `/api/v1/projects/${projectId}/enrolments?status=entered&pageSize=1000`,
    );
    return (page.enrolments as DemoWorker[]).map((e) => ({
      workerId: e.workerId,
      enrolmentId: e.enrolmentId,
      personId: e.personId,
      name: e.name,
    }));
  }

  /** Forms a team of the project's first construction unit (general contractor or subcontractor). */
  async formTeam(projectId: string, name: string): Promise<string> {
    const project = await this.call('GET', `/api/v1/projects/${projectId}`);
    const participants = project.participants as { creditCode: string; unitType: string }[];
    const unit = participants.find((p) => ['006', '001', '009'].includes(p.unitType)) ?? participants[0];
    if (!unit) throw new Error(`project ${projectId} has no participating unit to form a team in`);
    const team = await this.call('POST', `/api/v1/projects/${projectId}/teams`, {
      name,
      participantId: unit.creditCode,
    });
    return team.teamId as string;
  }

  /** The worker leaves the site today. */
  async exitWorker(enrolmentId: string): Promise<void> {
    await this.call('POST', `/api/v1/enrolments/${enrolmentId}/exit`, { date: shanghaiToday() });
  }

  /**
   * Registers fake workers (generated identities with valid check digits; `seed` makes them, so use a
   * new seed for each call), enrols them in the team (a new one when none is given), contracts, trains
   * and enters them on `enteredOn` (YYYY-MM-DD, Beijing time; default today).
   */
  async enterWorkers(
    projectId: string,
    count: number,
    seed: string,
    teamId?: string,
    enteredOn: string = shanghaiToday(),
  ): Promise<DemoWorker[]> {
    const team = teamId ?? (await this.formTeam(projectId, `Demo team ${seed.slice(-4)}`));
    const today = enteredOn;
    const workers: DemoWorker[] = [];
    for (let i = 0; i < count; i++) {
      const person = fakePerson(createRng(`${seed}-${projectId}-${i}`), { ageRange: [22, 50] });
      const headPhoto = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(1200)]).toString(
        'base64',
      );
      const worker = await this.call('POST', '/api/v1/workers', { ...workerRegistration(person), headPhoto });
      const enrolment = await this.call('POST', `/api/v1/projects/${projectId}/enrolments`, {
        workerId: worker.workerId,
        teamId: team,
        workType: '020',
        workRole: '20',
      });
      const id = enrolment.enrolmentId as string;
      await this.call('POST', `/api/v1/enrolments/${id}/contract`, { periodType: '0', startDate: today });
      await this.call('POST', `/api/v1/enrolments/${id}/trainings`, {
        typeCode: '003001',
        date: today,
        passed: true,
        score: 88,
      });
      await this.call('POST', `/api/v1/enrolments/${id}/entry`, { date: today });
      workers.push({
        workerId: worker.workerId as string,
        enrolmentId: id,
        personId: enrolment.personId as string,
        name: person.name,
      });
    }
    return workers;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async call(method: string, path: string, body?: unknown): Promise<any> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const t = this.tokens;
    const token = !t
      ? undefined
      : method === 'GET'
        ? t.read
        : path === '/api/v1/integrity-sync'
          ? (t.sync ?? t.write)
          : t.write;
    if (token) headers.authorization = `Bearer ${await token()}`;
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400)
      throw new Error(`registry ${method} ${path} -> ${res.status}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : {};
  }
}
