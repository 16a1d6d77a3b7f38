import { JsonLogger, requestContext } from './logger';

describe('JSON logs', () => {
  it('writes one JSON object per line with the service and the current correlation id', () => {
    const lines: string[] = [];
    const log = new JsonLogger('attendance', 'info', (l) => lines.push(l));
    requestContext.run({ correlationId: 'corr-1' }, () => log.event('info', 'punch recorded', { count: 2n }));
    log.debug('not shown below info');
    log.error(new Error('boom'), 'Context');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0])).toMatchObject({
      level: 'info',
      service: 'attendance',
      msg: 'punch recorded',
      correlationId: 'corr-1',
      count: '2',
    });
    expect(JSON.parse(lines[1])).toMatchObject({ level: 'error', msg: 'boom', context: 'Context' });
  });
});
