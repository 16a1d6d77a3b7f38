import { GUARDS_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ResourceServerGuard } from '@realname/platform';
import { ANALYTICS_READERS } from '../punches/punches.rest';
import { AnalyticsQueries } from './analytics-queries';
import { AnalyticsController } from './analytics.rest';

/** Where RequireRoles keeps its roles (libs/platform/src/auth/guards.ts; not exported). */
const ROLES_KEY = 'realname:auth:roles';

describe('AnalyticsController', () => {
  const handlers = ['regions', 'teams', 'keyPersonnel'] as const;

  it('checks the token and lets the analytics readers only, on every route', () => {
    expect(Reflect.getMetadata(GUARDS_METADATA, AnalyticsController)).toEqual([ResourceServerGuard]);
    for (const h of handlers)
      expect(Reflect.getMetadata(ROLES_KEY, AnalyticsController.prototype[h])).toEqual(ANALYTICS_READERS);
    expect(Reflect.getMetadata(PATH_METADATA, AnalyticsController)).toBe('api/v1/analytics/months');
    expect(handlers.map((h) => Reflect.getMetadata(PATH_METADATA, AnalyticsController.prototype[h]))).toEqual(
      [':month/regions', ':month/projects/:projectId/teams', ':month/key-personnel'],
    );
  });

  it("passes the caller's scope from the token, and answers a bad month with 400", async () => {
    const scope = { kind: 'city', code: '330100' } as const;
    const caller = { scope } as never;
    const queries = {
      regionMonth: jest.fn().mockResolvedValue('report'),
      teamSheet: jest.fn().mockResolvedValue('sheet'),
      keyPersonnel: jest.fn().mockResolvedValue('persons'),
    };
    const c = new AnalyticsController(queries as unknown as AnalyticsQueries);
    await expect(c.regions(caller, '2026-11')).resolves.toBe('report');
    expect(queries.regionMonth).toHaveBeenCalledWith('2026-11', '', scope);
    await c.teams(caller, '2026-11', 'P1');
    expect(queries.teamSheet).toHaveBeenCalledWith('2026-11', 'P1', scope);
    await c.keyPersonnel(caller, '2026-11', '3301');
    expect(queries.keyPersonnel).toHaveBeenCalledWith('2026-11', '3301', scope);

    // The real query builder refuses the month before anything reaches ClickHouse.
    const real = new AnalyticsController(new AnalyticsQueries({} as never, 'db'));
    await expect(real.regions(caller, '2026-13')).rejects.toMatchObject({ status: 400 });
  });
});
