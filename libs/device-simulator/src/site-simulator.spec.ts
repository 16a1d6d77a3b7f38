import { localDay, parseDeviceTime } from '@realname/contracts';
import {
  buildSites,
  liveTicker,
  LivePunch,
  LiveResend,
  mulberry32,
  punchesForDay,
  SiteOptions,
} from './site-simulator';

const fixedSecrets = { secretFor: (id: string) => `secret-of-${id}` };
const opts: SiteOptions = {
  projects: 3,
  devicesPerProject: 2,
  workersPerProject: 40,
  seed: 1,
  ...fixedSecrets,
};
const DAY = '2026-11-21';

describe('mulberry32', () => {
  it('is a deterministic stream in [0, 1)', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });
});

describe('buildSites', () => {
  it('builds projects, gates and workers from the seed', () => {
    const site = buildSites(opts);
    expect(site.projects).toHaveLength(3);
    expect(site.devices).toHaveLength(6);
    expect(site.workers).toHaveLength(120);
    for (const p of site.projects) {
      expect(p.projectId).toMatch(/^330106(2023|2024|2025)\d{4}\d{4}$/);
      expect(p.deviceIds).toHaveLength(2);
      expect(p.personIds).toHaveLength(40);
    }
    expect(new Set(site.projects.map((p) => p.projectId)).size).toBe(3);
    for (const d of site.devices) {
      expect(d.deviceId).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
      expect(d).toMatchObject({ region: '330106', timeZone: 'Asia/Shanghai' });
    }
    const pins = site.workers.map((w) => w.personId);
    expect(new Set(pins).size).toBe(pins.length);
    expect(pins[0]).toBe('10001');
    expect(buildSites(opts)).toEqual(site);
    expect(buildSites({ ...opts, seed: 2 }).projects[0].projectId).not.toBe(site.projects[0].projectId);
    expect(buildSites({ ...opts, region: '110105' }).projects[0].projectId.startsWith('110105')).toBe(true);
  });

  it('gives devices random hex secrets by default', () => {
    const { secretFor: _ignored, ...rest } = opts;
    const a = buildSites(rest);
    const b = buildSites(rest);
    expect(a.devices[0].secret).toMatch(/^[0-9a-f]{32}$/);
    expect(a.devices[0].secret).not.toBe(b.devices[0].secret);
    expect(a.devices.map((d) => d.deviceId)).toEqual(b.devices.map((d) => d.deviceId));
  });

  it('refuses impossible options', () => {
    expect(() => buildSites({ ...opts, projects: 0 })).toThrow(/projects/);
    expect(() => buildSites({ ...opts, region: '3301' })).toThrow(/region/);
  });
});

describe('punchesForDay', () => {
  const site = buildSites(opts);

  it('is deterministic for a seed and a day', () => {
    const a = punchesForDay(site, DAY);
    expect(punchesForDay(buildSites(opts), DAY)).toEqual(a);
    // Secrets do not change the punches.
    expect(punchesForDay(buildSites({ ...opts, secretFor: () => 'other-secret-0123456789' }), DAY)).toEqual(
      a,
    );
    expect(punchesForDay(site, '2026-11-22')).not.toEqual(a);
    expect(punchesForDay(buildSites({ ...opts, seed: 2 }), DAY).map((p) => p.punch.time)).not.toEqual(
      a.map((p) => p.punch.time),
    );
  });

  it('produces local times that parse and fall on that day, in order', () => {
    const day = punchesForDay(site, DAY);
    expect(day.length).toBeGreaterThan(200);
    let previous = 0;
    for (const p of day) {
      expect(p.punch.time).toMatch(/^2026-11-21 \d{2}:\d{2}:\d{2}$/);
      const at = parseDeviceTime(p.punch.time, 'Asia/Shanghai');
      expect(at).toBeDefined();
      expect(at!.getTime()).toBe(p.at.getTime());
      expect(localDay(at!, 'Asia/Shanghai')).toBe(DAY);
      expect(p.at.getTime()).toBeGreaterThanOrEqual(previous);
      previous = p.at.getTime();
      const hhmm = p.punch.time.slice(11, 16);
      expect(hhmm >= '06:30' && hhmm <= '19:01').toBe(true);
      expect(['face', 'card']).toContain(p.punch.verifyMode);
      expect(['in', 'out']).toContain(p.punch.direction);
    }
  });

  it('gives record ids unique per device, increasing in time order, and uses the project own gates', () => {
    const day = punchesForDay(site, DAY);
    const byDevice = new Map<string, string[]>();
    for (const p of day) {
      const ids = byDevice.get(p.deviceId) ?? [];
      ids.push(p.punch.recordId);
      byDevice.set(p.deviceId, ids);
      const project = site.projects.find((x) => x.projectId === p.projectId)!;
      expect(project.deviceIds).toContain(p.deviceId);
      expect(project.personIds).toContain(p.punch.personId);
    }
    for (const ids of byDevice.values()) {
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(ids);
      expect(ids[0]).toBe('20261121000001');
    }
    // Different days never reuse a record id of the same device.
    const next = punchesForDay(site, '2026-11-22');
    const seen = new Set(day.map((p) => `${p.deviceId}/${p.punch.recordId}`));
    expect(next.some((p) => seen.has(`${p.deviceId}/${p.punch.recordId}`))).toBe(false);
    expect(punchesForDay(site, DAY, { recordIdTag: 'run7-' })[0].punch.recordId).toBe('run7-20261121000001');
  });

  it('shapes a realistic working day', () => {
    const big = buildSites({ ...opts, projects: 2, workersPerProject: 500 });
    const day = punchesForDay(big, DAY);
    const byPerson = new Map<string, typeof day>();
    for (const p of day) byPerson.set(p.punch.personId, [...(byPerson.get(p.punch.personId) ?? []), p]);
    const absent = big.workers.length - byPerson.size;
    expect(absent).toBeGreaterThan(big.workers.length * 0.02);
    expect(absent).toBeLessThan(big.workers.length * 0.09);
    let lunch = 0;
    for (const list of byPerson.values()) {
      const first = list[0].punch;
      const last = list[list.length - 1].punch;
      expect(first.direction).toBe('in');
      expect(first.time.slice(11) >= '06:30:00' && first.time.slice(11) < '08:01:00').toBe(true);
      expect(last.direction).toBe('out');
      expect(last.time.slice(11) >= '17:00:00' && last.time.slice(11) < '19:01:00').toBe(true);
      if (list.some((p) => p.punch.time.slice(11, 16) >= '11:30' && p.punch.time.slice(11, 16) <= '13:20'))
        lunch++;
    }
    expect(lunch).toBeGreaterThan(byPerson.size * 0.15);
    expect(lunch).toBeLessThan(byPerson.size * 0.5);
    const cards = day.filter((p) => p.punch.verifyMode === 'card').length;
    expect(cards).toBeGreaterThan(0);
    expect(cards).toBeLessThan(day.length * 0.3);
  });

  it('makes absent workers produce no punches', () => {
    expect(punchesForDay(site, DAY, { absenceRate: 1 })).toEqual([]);
    const everyone = new Set(punchesForDay(site, DAY, { absenceRate: 0 }).map((p) => p.punch.personId));
    expect(everyone.size).toBe(site.workers.length);
    // The workers missing on a normal day are exactly those with no punch at all, and the others keep
    // the same day as when nobody is absent.
    const normal = punchesForDay(site, DAY);
    const present = new Set(normal.map((p) => p.punch.personId));
    const none = punchesForDay(site, DAY, { absenceRate: 0 }).filter((p) => present.has(p.punch.personId));
    expect(none.map((p) => [p.punch.personId, p.punch.time])).toEqual(
      normal.map((p) => [p.punch.personId, p.punch.time]),
    );
  });

  it('refuses what is not a day', () => {
    expect(() => punchesForDay(site, '2026-02-31x')).toThrow(/not a day/);
    expect(() => punchesForDay(site, 'today')).toThrow(/not a day/);
  });
});

describe('liveTicker', () => {
  const site = buildSites(opts);

  it('emits each punch once as the compressed clock passes it, then moves on to the next day', () => {
    let real = Date.UTC(2026, 10, 21, 1, 0, 0); // 09:00 in Beijing: the simulated day still starts at 06:00
    const ticker = liveTicker(site, 600, { realNow: () => real, recordIdTag: 't-', resendEveryS: 0 });
    expect(ticker.clock()).toBe('2026-11-21 06:00:00');
    expect(ticker.poll()).toEqual([]);

    const emitted: LivePunch[] = [];
    for (let i = 0; i < 200; i++) {
      real += 500; // 5 simulated minutes each
      for (const e of ticker.poll()) if (e.kind === 'punch') emitted.push(e);
      if (ticker.day !== DAY) break;
    }
    const expected = punchesForDay(site, DAY, { recordIdTag: 't-' });
    expect(emitted.map((e) => e.punch)).toEqual(expected.map((p) => p.punch));
    expect(ticker.day).toBe('2026-11-22');
    expect(ticker.clock().startsWith('2026-11-22 06:')).toBe(true);
  });

  it('now and then resends records it emitted earlier, unchanged', () => {
    let real = Date.UTC(2026, 10, 21, 1, 0, 0);
    const ticker = liveTicker(site, 600, { realNow: () => real, day: DAY, resendEveryS: 2 });
    const emitted = new Map<string, string>();
    const resends: LiveResend[] = [];
    for (let i = 0; i < 160; i++) {
      real += 500;
      for (const e of ticker.poll()) {
        if (e.kind === 'punch') emitted.set(`${e.deviceId}/${e.punch.recordId}`, JSON.stringify(e.punch));
        else resends.push(e);
      }
    }
    expect(resends.length).toBeGreaterThan(5);
    for (const r of resends) {
      expect(r.punches.length).toBeGreaterThan(0);
      for (const p of r.punches) expect(emitted.get(`${r.deviceId}/${p.recordId}`)).toBe(JSON.stringify(p));
    }
    expect(ticker.resends).toBe(resends.length);
  });
});
