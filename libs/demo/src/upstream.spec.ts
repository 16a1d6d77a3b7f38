// The demo's way upstream: a project's keys registered at the national simulator and put into reporting
// (retried while reporting does not know the project yet), and the progress read back from both.
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  NationalAdmin,
  NationalSimulator,
  startNationalAdmin,
  startNationalSimulator,
} from '@realname/uplink-simulators';
import { RegistryClient } from './registry-client';
import { NationalUpstream } from './upstream';

const PROJECT = '330106202612030001';
const CONTRACTOR = '91330106MA2H4K7N15';

let simulator: NationalSimulator;
let admin: NationalAdmin;
let services: Server;
let url: string;
const seen: { method: string; path: string; headers: IncomingHttpHeaders; body: string }[] = [];
let unknownFor = 0;

beforeAll(async () => {
  simulator = await startNationalSimulator({ projects: [], asyncDelayMs: 0 });
  admin = await startNationalAdmin(simulator, { port: 0 });
  // The registry and reporting, as far as the upstream asks them.
  services = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      seen.push({
        method: req.method ?? '',
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (path === `/api/v1/projects/${PROJECT}`)
        return json(200, {
          projectId: PROJECT,
          name: 'Demo tower',
          region: '330106',
          generalContractorCode: CONTRACTOR,
          participants: [
            { creditCode: '91330100MA27XL0E2K', corpName: 'Xihu Labour Services', unitType: '008' },
            { creditCode: CONTRACTOR, corpName: 'Hangzhou Builders', unitType: '006' },
          ],
        });
      if (path.endsWith('/uplinks/national/credentials')) {
        if (unknownFor > 0) {
          unknownFor -= 1;
          return json(404, { title: 'no project within your scope' });
        }
        return json(200, { target: 'national', projectId: PROJECT, version: 1 });
      }
      if (path.includes('/days/'))
        return json(200, {
          projectId: PROJECT,
          targets: [
            {
              target: 'national',
              counts: { pending: 2, sent: 1, accepted: 5, rejected: 0, rejectedLocally: 1 },
              records: [
                { status: 'pending', waitingFor: ['identity:w-1'] },
                { status: 'pending', waitingFor: ['team:P/team-1', 'identity:w-2'] },
              ],
            },
          ],
        });
      json(404, {});
    });
  });
  await new Promise<void>((r) => services.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(services.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => services.close(() => r()));
  await admin.close();
  await simulator.close();
});

const upstream = () =>
  new NationalUpstream({
    reportingUrl: url,
    uplinkAdminUrl: admin.url,
    registry: new RegistryClient(url, { read: async () => 'reader', write: async () => 'writer' }),
    credentialsToken: async () => 'municipal',
    readToken: async () => 'reader',
    retryDelayMs: 1,
  });

describe('NationalUpstream', () => {
  it("registers the project's keys at the simulator and puts the same keys into reporting", async () => {
    seen.length = 0;
    unknownFor = 2;
    await upstream().connect(PROJECT);
    const puts = seen.filter((s) => s.method === 'PUT');
    expect(puts).toHaveLength(3);
    expect(puts[2].headers.authorization).toBe('Bearer municipal');
    const credentials = JSON.parse(puts[2].body);
    expect(credentials).toEqual({ appid: PROJECT, secret: expect.stringMatching(/^[0-9a-f]{32}$/) });
    // The simulator now takes the project's calls signed with that secret, its enterprises upstream.
    const counts = await (await fetch(`${admin.url}/accepted?projectCode=${PROJECT}`)).json();
    expect(counts.total).toBe(0);

    // A later run keeps the keys the platform issued, so what reporting holds stays valid.
    await upstream().connect(PROJECT);
    const again = seen.filter((s) => s.method === 'PUT').at(-1);
    expect(JSON.parse(again?.body ?? '{}').secret).toBe(credentials.secret);
  });

  it('reads what the platform accepted and what reporting still holds', async () => {
    const progress = await upstream().progress([PROJECT], '2026-12-03');
    expect(progress).toEqual({
      punches: 0,
      units: 0,
      teams: 0,
      workers: 0,
      pending: 2,
      sent: 1,
      rejected: 1,
      waitingFor: ['identity', 'team'],
    });
    const read = seen.find((s) => s.path.includes('/days/2026-12-03/uploads'));
    expect(read?.headers.authorization).toBe('Bearer reader');
  });

  it('gives up when reporting never knows the project', async () => {
    unknownFor = 100;
    await expect(
      new NationalUpstream({
        reportingUrl: url,
        uplinkAdminUrl: admin.url,
        registry: new RegistryClient(url),
        credentialsToken: async () => 'municipal',
        readToken: async () => 'reader',
        attempts: 2,
        retryDelayMs: 1,
      }).connect(PROJECT),
    ).rejects.toThrow(/404/);
    unknownFor = 0;
  });
});
