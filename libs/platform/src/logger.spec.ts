import { createClient } from '@clickhouse/client';
import { clickHouseLoggerClass, JsonLogger, requestContext } from './logger';

function collecting(level: 'debug' | 'info' = 'info') {
  const lines: string[] = [];
  return { lines, log: new JsonLogger('attendance', level, (l) => lines.push(l)) };
}

describe('JSON logs', () => {
  it('writes one JSON object per line with the service and the current correlation id', () => {
    const { lines, log } = collecting();
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
    expect(typeof JSON.parse(lines[0]).time).toBe('string');
    expect(JSON.parse(lines[1])).toMatchObject({ level: 'error', msg: 'boom', context: 'Context' });
  });

  it('keeps the message ahead of the fields, as log searches expect', () => {
    const { lines, log } = collecting();
    log.event('info', 'identity revealed', { caller: 'national-uploader' });
    expect(lines[0]).toMatch(/"msg":"identity revealed".*"caller":"national-uploader"/);
  });
});

describe('redaction of personal and secret fields', () => {
  const idNumber = '110105199003071234';
  const phone = '13812345678';

  it('redacts ID numbers, phones and secrets wherever they sit in the entry', () => {
    const { lines, log } = collecting();
    log.event('info', 'worker registered', {
      projectId: '330106123456789001',
      idNumber,
      worker: { name: 'Zhang San', phone, address: 'Hangzhou', idCardNumber: idNumber },
      request: { headers: { authorization: 'Bearer abc', cookie: 'sid=1' } },
      workers: [{ id_number: idNumber, mobile: phone, bankCardNumber: '6222020202020202' }],
      token: 's3cret',
    });
    const line = lines[0];
    for (const raw of [
      idNumber,
      phone,
      'Zhang San',
      'Hangzhou',
      'Bearer abc',
      'sid=1',
      '6222020202020202',
      's3cret',
    ])
      expect(line).not.toContain(raw);
    const entry = JSON.parse(line);
    expect(entry.idNumber).toBe('[redacted]');
    expect(entry.worker).toEqual({
      name: '[redacted]',
      phone: '[redacted]',
      address: '[redacted]',
      idCardNumber: '[redacted]',
    });
    expect(entry.request.headers.authorization).toBe('[redacted]');
    expect(entry.workers[0]).toEqual({
      id_number: '[redacted]',
      mobile: '[redacted]',
      bankCardNumber: '[redacted]',
    });
    // What is not personal stays readable: a project code is not an ID number.
    expect(entry.projectId).toBe('330106123456789001');
  });

  it('masks ID and mobile numbers written into the message text or an error', () => {
    const { lines, log } = collecting();
    log.event('warn', `no worker with ID ${idNumber} (phone ${phone})`, {
      error: new Error(`duplicate key ${idNumber}`),
    });
    log.warn(`Nest says ${phone}`);
    expect(lines.join('\n')).not.toContain(idNumber);
    expect(lines.join('\n')).not.toContain(phone);
    expect(JSON.parse(lines[0]).msg).toBe('no worker with ID [redacted] (phone [redacted])');
    expect(JSON.parse(lines[0]).error.message).toBe('duplicate key [redacted]');
  });

  it('does not change the object the caller logged', () => {
    const { log } = collecting();
    const fields = { phone, nested: { count: 3n } };
    log.event('info', 'x', fields);
    expect(fields).toEqual({ phone, nested: { count: 3n } });
  });
});

describe('ClickHouse client logs', () => {
  it('turns each entry of the client into one JSON line of the service log', () => {
    const { lines, log } = collecting('debug');
    const Logger = clickHouseLoggerClass(log);
    const err = new Error('connect ECONNREFUSED 127.0.0.1:58123\n    at TCPConnectWrap.afterConnect');
    new Logger().error({
      module: 'HTTP Adapter',
      message: 'Ping: an error occurred',
      args: { attempt: 1 },
      err,
    });
    new Logger().warn({ module: 'Connection', message: 'socket\nclosed early' });
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).not.toContain('\n');
    expect(JSON.parse(lines[0])).toMatchObject({
      level: 'error',
      service: 'attendance',
      msg: 'clickhouse: Ping: an error occurred',
      module: 'HTTP Adapter',
      args: { attempt: 1 },
      error: 'connect ECONNREFUSED 127.0.0.1:58123\n    at TCPConnectWrap.afterConnect',
    });
  });

  it('is what the real client logs through when ClickHouse cannot be reached', async () => {
    const { lines, log } = collecting('debug');
    const client = createClient({
      url: 'http://127.0.0.1:9', // discard port: nothing listens there
      request_timeout: 2_000,
      log: { LoggerClass: clickHouseLoggerClass(log), level: 1 /* DEBUG */ },
    });
    const r = await client.ping();
    await client.close();
    expect(r.success).toBe(false);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l).not.toContain('\n');
      expect(JSON.parse(l)).toMatchObject({
        service: 'attendance',
        msg: expect.stringMatching(/^clickhouse: /),
      });
    }
  });
});
