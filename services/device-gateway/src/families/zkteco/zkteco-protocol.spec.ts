import * as iconv from 'iconv-lite';
import { formatLocalTime } from '@realname/contracts';
import { parseAttlog, parseAttlogLine, verifyModeOf } from './attlog';
import { parseAttphoto, photoIrregularity } from './attphoto';
import { renderCommand } from './commands';
import { commandResultFromQuery, parseCommandResults, rangeCount } from './devicecmd';
import { parseOperlog, summariseOperlog } from './operlog';
import { registryCode, renderOptions, renderPushConfig, zkPackedTime, zkTimeZone } from './replies';
import { parseRtlog } from './rtlog';
import { ZktecoSessions } from './zkteco-sessions';
import { clockReading } from './zkteco-uploads';
import { decodeDeviceText, encodeDeviceText, httpDate, isLineError } from './zkteco-text';

const TZ = 'Asia/Shanghai';
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.from('fake jpeg \0 with a NUL'),
  Buffer.from([0xff, 0xd9]),
]);

describe('ATTLOG', () => {
  it('reads TAB-separated punches in device-local time, with status and verify mapped', () => {
    const body =
      '10001\t2026-11-21 07:41:02\t0\t15\t0\t0\t0\n10002\t2026-11-21 17:30:00\t1\t1\t0\t0\t0\t1\t36.5\r\n';
    const { records, errors } = parseAttlog(body, TZ);
    expect(errors).toEqual([]);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      pin: '10001',
      time: '2026-11-21 07:41:02',
      status: 0,
      verify: 15,
      direction: 'in',
      verifyMode: 'face',
    });
    expect(records[0].punchedAt.toISOString()).toBe('2026-11-20T23:41:02.000Z');
    expect(records[1]).toMatchObject({ pin: '10002', direction: 'out', verifyMode: 'fingerprint' });
  });

  it('leaves other statuses to the device default and maps unknown verify codes to other', () => {
    const r = parseAttlogLine('7\t2026-11-21 12:00:00\t2\t25', 1, TZ);
    expect(isLineError(r)).toBe(false);
    expect(r).not.toHaveProperty('direction');
    expect(r).toMatchObject({ status: 2, verifyMode: 'other' });
    expect([0, 1, 3, 4, 15, 99, undefined].map(verifyModeOf)).toEqual([
      'other',
      'fingerprint',
      'password',
      'card',
      'face',
      'other',
      'other',
    ]);
  });

  it('accepts a line with only PIN and time (status and verify tolerated when absent or odd)', () => {
    const { records } = parseAttlog('42\t2026-11-21 08:00:00\n43\t2026-11-21 08:00:01\tx\ty\n', TZ);
    expect(records.map((r) => [r.pin, r.status, r.verifyMode])).toEqual([
      ['42', undefined, 'other'],
      ['43', undefined, 'other'],
    ]);
  });

  it('names the field of a bad line and keeps the good lines around it', () => {
    const body = [
      '10001\t2026-11-21 07:41:02\t0\t15',
      'garbage',
      '\t2026-11-21 07:41:02',
      '10003\t2026-02-30 07:00:00\t0\t1',
      '10004\t2026-11-21 07:4',
      '10005\t2026-11-21 07:45:00\t1\t15',
    ].join('\n');
    const { records, errors } = parseAttlog(body, TZ);
    expect(records.map((r) => r.pin)).toEqual(['10001', '10005']);
    expect(errors.map((e) => [e.line, e.field])).toEqual([
      [2, 'time'],
      [3, 'PIN'],
      [4, 'time'],
      [5, 'time'],
    ]);
    expect(errors[2].message).toContain('YYYY-MM-DD HH:mm:ss');
  });
});

describe('ATTPHOTO', () => {
  const body = (fileName: string, image = JPEG, size: number | string = image.length) =>
    Buffer.concat([
      Buffer.from(`PIN=${fileName}\nSN=CKJ1234\nsize=${size}\nCMD=uploadphoto`),
      Buffer.from([0]),
      image,
    ]);

  it('reads the header, the NUL and the exact JPEG bytes (which may hold NULs themselves)', () => {
    const { records, errors } = parseAttphoto(body('20261121074102-10001.jpg'), TZ);
    expect(errors).toEqual([]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ pin: '10001', time: '2026-11-21 07:41:02', sn: 'CKJ1234' });
    expect(records[0].bytes.equals(JPEG)).toBe(true);
    expect(records[0].punchedAt.toISOString()).toBe('2026-11-20T23:41:02.000Z');
  });

  it('reads several photos in one body when each has its size', () => {
    const two = Buffer.concat([
      body('20261121074102-10001.jpg'),
      Buffer.from('\r\n'),
      body('20261121074205-10002.jpg'),
    ]);
    const { records } = parseAttphoto(two, TZ);
    expect(records.map((p) => p.pin)).toEqual(['10001', '10002']);
    expect(records[1].bytes.equals(JPEG)).toBe(true);
  });

  it('takes the JPEG the body holds when size= is smaller than the bytes sent (606 declared, 612 sent)', () => {
    const jpeg = Buffer.concat([
      Buffer.from([0xff, 0xd8]),
      Buffer.alloc(608, 0xd9),
      Buffer.from([0xff, 0xd9]),
    ]);
    const one = body('20261121074102-10001.jpg', jpeg, 606);
    const { records, errors } = parseAttphoto(one, TZ);
    expect(errors).toEqual([]);
    expect(records).toHaveLength(1);
    expect(records[0].bytes.equals(jpeg)).toBe(true);
    expect(records[0]).toMatchObject({ declaredSize: 606, complete: true, end: one.length });
    expect(photoIrregularity(records[0])).toBe(
      'part 1: size=606 but the JPEG sent is 612 bytes (+6); the 612 bytes were taken',
    );
  });

  it('takes each JPEG of a batch whatever its size= says, smaller or larger', () => {
    const two = Buffer.concat([
      body('20261121074102-10001.jpg', JPEG, JPEG.length - 4),
      Buffer.from('\r\n'),
      body('20261121074205-10002.jpg', JPEG, JPEG.length + 9),
      body('20261121074306-10003.jpg', JPEG, JPEG.length + 500),
    ]);
    const { records, errors } = parseAttphoto(two, TZ);
    expect(errors).toEqual([]);
    expect(records.map((p) => [p.pin, p.declaredSize, p.complete])).toEqual([
      ['10001', JPEG.length - 4, true],
      ['10002', JPEG.length + 9, true],
      ['10003', JPEG.length + 500, true],
    ]);
    for (const p of records) expect(p.bytes.equals(JPEG)).toBe(true);
  });

  it('records no mismatch when size= is right, and notes a photo without the JPEG end marker', () => {
    const [exact] = parseAttphoto(body('20261121074102-10001.jpg'), TZ).records;
    expect(exact.declaredSize).toBeUndefined();
    expect(exact.complete).toBe(true);
    expect(photoIrregularity(exact)).toBeUndefined();
    const open = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const [cut] = parseAttphoto(body('20261121074102-10001.jpg', open), TZ).records;
    expect(cut.complete).toBe(false);
    expect(photoIrregularity(cut)).toContain('does not end with FF D9');
  });

  it('refuses a cut upload, a bad file name and a non-JPEG, naming the field', () => {
    const open = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const cut = body('20261121074102-10001.jpg', open, open.length + 50);
    expect(parseAttphoto(cut, TZ).errors[0]).toMatchObject({ field: 'size' });
    expect(parseAttphoto(body('10001.jpg'), TZ).errors[0]).toMatchObject({ field: 'PIN' });
    expect(parseAttphoto(body('20261321074102-10001.jpg'), TZ).errors[0]).toMatchObject({ field: 'PIN' });
    expect(
      parseAttphoto(body('20261121074102-10001.jpg', Buffer.from('GIF89a')), TZ).errors[0],
    ).toMatchObject({
      field: '(image)',
    });
    expect(parseAttphoto(Buffer.from('PIN=x.jpg\nsize=3'), TZ).errors[0]).toMatchObject({ field: '(body)' });
  });
});

describe('OPERLOG', () => {
  const text = [
    'OPLOG 30\t0\t2026-11-21 07:00:00\t10001\t0\t0\t0',
    'USER PIN=10001\tName=张三\tPri=0\tPasswd=\tCard=12345\tGrp=1',
    'FP PIN=10001\tFID=6\tSize=1024\tValid=1\tTMP=AAAA',
    'BIOPHOTO PIN=10001\tType=9\tContent=AAAA',
    'NEWTHING a=b',
    'USER Name=nobody',
  ].join('\n');

  it('reads tagged lines; names come out right from GB2312 when the language is 83', () => {
    const gb = iconv.encode(text, 'gb2312');
    const decoded = decodeDeviceText(gb, '83');
    const { records, errors } = parseOperlog(decoded);
    expect(records.map((e) => e.kind)).toEqual(['OPLOG', 'USER', 'FP', 'BIOPHOTO', 'other']);
    expect(records[1]).toMatchObject({ kind: 'USER', pin: '10001', name: '张三', card: '12345' });
    expect(errors).toEqual([expect.objectContaining({ line: 6, field: 'PIN' })]);
    expect(summariseOperlog(records)).toBe('1 OPLOG, 1 USER (10001 张三), 1 FP, 1 BIOPHOTO, 1 NEWTHING');
  });

  it('decodes UTF-8 normally, and GB2312 even when the language was not learnt', () => {
    expect(decodeDeviceText(Buffer.from('Name=李四'), '69')).toBe('Name=李四');
    expect(decodeDeviceText(iconv.encode('Name=李四', 'gb2312'))).toBe('Name=李四');
    expect(encodeDeviceText('王五', '83').equals(iconv.encode('王五', 'gb2312'))).toBe(true);
  });
});

describe('devicecmd results', () => {
  it('reads one result per line, with the count field', () => {
    const { records, errors } = parseCommandResults(
      'ID=12&Return=0&CMD=DATA\nID=13&Return=-1&CMD=DATA\nID=14&Return=0&CMD=VERIFY&Count=57\nID=x&Return=0\n',
    );
    expect(records.map((r) => [r.seq, r.returnCode, r.cmd, r.count])).toEqual([
      [12, 0, 'DATA', undefined],
      [13, -1, 'DATA', undefined],
      [14, 0, 'VERIFY', 57],
    ]);
    expect(errors).toEqual([expect.objectContaining({ line: 4, field: 'ID' })]);
  });

  it('reads a result from the query string, and takes a positive Return as the count when no Count is sent', () => {
    const r = commandResultFromQuery({ SN: 'X', ID: '9', Return: '120', CMD: 'DATA' });
    expect(r).toMatchObject({ seq: 9, returnCode: 120 });
    expect(rangeCount(r as never)).toBe(120);
    expect(commandResultFromQuery({ SN: 'X' })).toBeUndefined();
    expect(commandResultFromQuery({ SN: 'X', ID: '1', Return: 'ok' })).toMatchObject({ field: 'Return' });
    expect(parseCommandResults('id=3&return=0&cmd=DATA&AttLogCount=4').records[0].count).toBe(4);
  });
});

describe('rtlog (PUSH 3.x)', () => {
  it('reads key=value events; a pass with a PIN is a punch with its index, others are not', () => {
    const body = [
      'time=2026-11-21 07:41:02\tpin=10001\tcardno=0\teventaddr=1\tevent=0\tinoutstatus=1\tverifytype=15\tindex=42',
      'time=2026-11-21 07:41:09\tpin=0\tcardno=0\teventaddr=1\tevent=27\tinoutstatus=0\tverifytype=200\tindex=43',
      'time=2026-11-21 07:42:00\tpin=10002\tevent=0\tinoutstatus=2\tverifytype=1\tindex=44',
      'pin=1\tevent=0',
    ].join('\n');
    const { records, errors } = parseRtlog(body, TZ);
    expect(records.map((r) => [r.index, r.pin, r.pass, r.direction, r.verifyMode])).toEqual([
      ['42', '10001', true, 'out', 'face'],
      ['43', '0', false, 'in', 'other'],
      ['44', '10002', true, undefined, 'fingerprint'],
    ]);
    expect(errors).toEqual([expect.objectContaining({ line: 4, field: 'time' })]);
  });
});

describe('commands', () => {
  const ctx = { timeZone: TZ, dialect: 'attendance' as const };

  it('renders person.upsert as USERINFO, plus BIOPHOTO when there is a photo, all under one seq', () => {
    const r = renderCommand(
      {
        seq: 7,
        kind: 'person.upsert',
        payload: { personId: '10001', name: 'Zhang\tSan', cardNumber: '123' },
      },
      ctx,
    );
    expect(r).toEqual({
      ok: true,
      lines: ['C:7:DATA UPDATE USERINFO PIN=10001\tName=Zhang San\tPri=0\tCard=123'],
    });
    const withPhoto = renderCommand(
      { seq: 8, kind: 'person.upsert', payload: { personId: '10001', name: '张三', photoRef: 'sha256:x' } },
      { ...ctx, photo: { bytes: JPEG } },
    );
    const b64 = JPEG.toString('base64');
    expect(withPhoto).toEqual({
      ok: true,
      lines: [
        'C:8:DATA UPDATE USERINFO PIN=10001\tName=张三\tPri=0\tCard=',
        `C:8:DATA UPDATE BIOPHOTO PIN=10001\tType=9\tFormat=0\tSize=${b64.length}\tContent=${b64}`,
      ],
    });
  });

  it('renders delete, range query and verify in device-local time', () => {
    expect(renderCommand({ seq: 9, kind: 'person.delete', payload: { personId: '10001' } }, ctx)).toEqual({
      ok: true,
      lines: ['C:9:DATA DELETE USERINFO PIN=10001'],
    });
    const range = { from: '2026-11-20T23:00:00Z', to: '2026-11-21T01:30:00.000Z', backfillId: 'b' };
    expect(renderCommand({ seq: 10, kind: 'records.query', payload: range }, ctx)).toEqual({
      ok: true,
      lines: ['C:10:DATA QUERY ATTLOG StartTime=2026-11-21 07:00:00\tEndTime=2026-11-21 09:30:00'],
    });
    expect(renderCommand({ seq: 11, kind: 'records.verify', payload: range }, ctx)).toEqual({
      ok: true,
      lines: ['C:11:VERIFY SUM ATTLOG StartTime=2026-11-21 07:00:00\tEndTime=2026-11-21 09:30:00'],
    });
  });

  it('renders the PUSH 3.x access-control dialect', () => {
    const r = renderCommand(
      { seq: 3, kind: 'person.upsert', payload: { personId: '5', name: 'A' } },
      { ...ctx, dialect: 'access' },
    );
    expect(r.ok && r.lines).toEqual([
      'C:3:DATA UPDATE user CardNo=\tPin=5\tPassword=\tGroup=0\tStartTime=0\tEndTime=0\tName=A\tPrivilege=0',
      'C:3:DATA UPDATE userauthorize Pin=5\tAuthorizeTimezoneId=1\tAuthorizeDoorId=1',
    ]);
    expect(
      renderCommand({ seq: 4, kind: 'records.query', payload: {} }, { ...ctx, dialect: 'access' }),
    ).toMatchObject({
      ok: false,
      code: 'unsupported',
    });
  });

  it('refuses what cannot be a ZKTeco command, saying why', () => {
    expect(renderCommand({ seq: 1, kind: 'person.delete', payload: { personId: 'a b' } }, ctx)).toMatchObject(
      {
        ok: false,
        code: 'invalid-payload',
      },
    );
    expect(
      renderCommand({ seq: 1, kind: 'records.query', payload: { from: 'x', to: 'y' } }, ctx),
    ).toMatchObject({
      ok: false,
    });
    expect(renderCommand({ seq: 1, kind: 'reboot', payload: {} }, ctx)).toMatchObject({
      ok: false,
      code: 'unsupported',
    });
  });
});

describe('replies', () => {
  const now = new Date('2026-11-21T00:00:00Z');

  it('renders the options block with stamps, delays and the zone offset in hours', () => {
    const text = renderOptions({
      sn: 'CKJ1',
      stamps: { ATTLOG: '9999' },
      delay: 5,
      errorDelay: 15,
      timeZone: TZ,
      now,
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('GET OPTION FROM: CKJ1');
    expect(lines).toEqual(
      expect.arrayContaining([
        'ATTLOGStamp=9999',
        'OPERLOGStamp=None',
        'Delay=5',
        'ErrorDelay=15',
        'TimeZone=8',
        'Realtime=1',
      ]),
    );
    expect(zkTimeZone(now, 'Asia/Kolkata')).toBe(330);
    expect(zkTimeZone(now, 'America/New_York')).toBe(-5);
  });

  it('renders the PUSH 3.x registry code (stable per device) and configuration', () => {
    expect(registryCode('d1', 'SN1')).toBe(registryCode('d1', 'SN1'));
    expect(registryCode('d1', 'SN1')).not.toBe(registryCode('d2', 'SN1'));
    expect(renderPushConfig({ code: 'abc', delay: 2, errorDelay: 6, timeZone: TZ, now })).toContain(
      'SessionID=abc',
    );
  });

  it('formats times for the device and the HTTP Date header', () => {
    expect(formatLocalTime(now, TZ)).toBe('2026-11-21 08:00:00');
    expect(httpDate(now)).toBe('Sat, 21 Nov 2026 00:00:00 GMT');
    expect(zkPackedTime('2000-01-01 00:00:00')).toBe(0);
    expect(zkPackedTime('2026-11-21 08:00:00')).toBe(((26 * 12 + 10) * 31 + 20) * 86400 + 8 * 3600);
  });
});

describe('ZktecoSessions', () => {
  it('remembers the language per SN, from the options request or any later query', () => {
    const s = new ZktecoSessions();
    expect(s.language('A', '83')).toBe('83');
    expect(s.language('A')).toBe('83');
    expect(s.language('B')).toBeUndefined();
    expect(s.language('A', '69')).toBe('69');
  });

  it('completes a multi-line command once every line answered, failing if any failed', () => {
    const s = new ZktecoSessions();
    s.expectResults('A', 5, 2);
    expect(s.result('A', 5, 0)).toBeUndefined();
    expect(s.result('A', 5, 0)).toEqual({ ok: true, code: '0' });
    s.expectResults('A', 6, 2);
    expect(s.result('A', 6, -1)).toBeUndefined();
    expect(s.result('A', 6, 0)).toEqual({ ok: false, code: '-1' });
    expect(s.result('A', 7, 0, 12)).toEqual({ ok: true, code: '0', count: 12 });
  });

  it('ties uploads inside an open range query to its backfill, until the query expires', () => {
    let now = 0;
    const s = new ZktecoSessions(10, () => now);
    const from = new Date('2026-11-21T00:00:00Z');
    const to = new Date('2026-11-21T01:00:00Z');
    s.rememberQuery('A', { seq: 1, from, to, backfillId: 'bf' });
    expect(s.backfillFor('A', [new Date('2026-11-21T00:30:00Z')])).toBe('bf');
    expect(
      s.backfillFor('A', [new Date('2026-11-21T00:30:00Z'), new Date('2026-11-21T02:00:00Z')]),
    ).toBeUndefined();
    s.closeQuery('A', 1);
    now = 61_000;
    expect(s.backfillFor('A', [new Date('2026-11-21T00:30:00Z')])).toBeUndefined();
  });
});

describe('clockReading', () => {
  const at = (iso: string) => ({ punchedAt: new Date(iso) });
  const received = new Date('2026-11-21T00:10:00Z');

  it('reads the device clock from the newest punch when it is fresh or in the future', () => {
    expect(clockReading([at('2026-11-21T00:09:50Z'), at('2026-11-21T00:01:00Z')], received, 30_000)).toEqual(
      new Date('2026-11-21T00:09:50Z'),
    );
    expect(clockReading([at('2026-11-21T00:17:00Z')], received, 30_000)).toEqual(
      new Date('2026-11-21T00:17:00Z'),
    );
  });

  it('says nothing about the clock from a backlog', () => {
    expect(clockReading([at('2026-11-21T00:09:00Z')], received, 30_000)).toBeUndefined();
    expect(clockReading([], received, 30_000)).toBeUndefined();
  });
});
