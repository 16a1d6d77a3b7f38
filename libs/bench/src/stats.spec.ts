import { PerSecond, Samples } from './stats';
import { buildRequest } from './families';

describe('bench statistics', () => {
  it('gives nearest-rank percentiles over every sample', () => {
    const s = new Samples();
    for (let i = 1; i <= 2000; i++) s.add(i);
    expect(s.count).toBe(2000);
    expect(s.percentile(50)).toBe(1000);
    expect(s.percentile(99)).toBe(1980);
    expect(s.max()).toBe(2000);
    expect(new Samples().percentile(50)).toBeNaN();
  });

  it('counts per second with empty seconds as zeros', () => {
    const p = new PerSecond(1000);
    p.add(1500, 3);
    p.add(3999, 2);
    expect(p.series(0, 4)).toEqual([3, 0, 2, 0]);
  });
});

describe('bench requests', () => {
  const device = {
    deviceId: 'd1',
    projectId: 'P',
    serial: 'SN1',
    secret: 's'.repeat(32),
    token: 'T',
    counter: 0,
  };
  const at = new Date('2026-11-21T00:00:01Z');

  it('writes ZKTeco ATTLOG lines in device-local time and expects OK:<count>', () => {
    const r = buildRequest({ ...device, family: 'zkteco-push' }, [
      { personId: '7', at },
      { personId: '8', at },
    ]);
    expect(r.path).toMatch(/^\/iclock\/cdata\?SN=SN1&table=ATTLOG/);
    expect(r.body.toString()).toBe(
      '7\t2026-11-21 08:00:01\t0\t15\t0\t0\t0\t0\t0\t0\n8\t2026-11-21 08:00:01\t0\t15\t0\t0\t0\t0\t0\t0\n',
    );
    expect(r.acknowledged(200, 'OK:2')).toBe(true);
    expect(r.acknowledged(200, 'OK:1')).toBe(false);
  });

  it('numbers Hikvision events and signs open-v1 batches', () => {
    const d = { ...device, family: 'hikvision-isapi' as const };
    const a = JSON.parse(buildRequest(d, [{ personId: '7', at }]).body.toString());
    const b = JSON.parse(buildRequest(d, [{ personId: '8', at }]).body.toString());
    expect([a.AccessControllerEvent.serialNo, b.AccessControllerEvent.serialNo]).toEqual([1, 2]);
    expect(a.dateTime).toBe('2026-11-21T08:00:01+08:00');
    const open = buildRequest({ ...device, family: 'open-v1' }, [{ personId: '7', at }]);
    expect(open.headers['x-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
  });
});
