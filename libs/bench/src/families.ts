import { createHmac, randomBytes } from 'node:crypto';
import { formatLocalTime } from '@realname/contracts';

/** The device families the ingest benchmark drives, with how many punches one request carries. */
export const BENCH_FAMILIES = ['hikvision-isapi', 'uface', 'httpv2', 'zkteco-push', 'open-v1'] as const;
export type BenchFamily = (typeof BENCH_FAMILIES)[number];

export interface BenchDevice {
  deviceId: string;
  family: BenchFamily;
  projectId: string;
  serial: string;
  secret: string;
  /** Path token, known after registration. */
  token?: string;
  /** The device's own record counter (Hikvision serialNo, HTTPv2 RecordID, open recordId). */
  counter: number;
}

export interface BenchPunch {
  personId: string;
  /** Whole seconds: every family can carry it exactly. */
  at: Date;
}

export interface BenchRequest {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Does the reply acknowledge the request in the family's own terms? */
  acknowledged(status: number, body: string): boolean;
}

/** The registration of a bench device with the gateway's admin API. */
export function registration(d: BenchDevice, region: string): Record<string, unknown> {
  return {
    deviceId: d.deviceId,
    projectId: d.projectId,
    region,
    family: d.family,
    ...(d.family === 'open-v1' ? { secret: d.secret } : {}),
    ...(['zkteco-push', 'uface', 'httpv2'].includes(d.family) ? { serial: d.serial } : {}),
    defaultDirection: 'in',
  };
}

/** "YYYY-MM-DD HH:mm:ss" in Asia/Shanghai (UTC+8, no daylight saving). */
function shanghaiLocal(d: Date): string {
  return formatLocalTime(d, 'Asia/Shanghai');
}

function shanghaiOffset(d: Date): string {
  return `${shanghaiLocal(d).replace(' ', 'T')}+08:00`;
}

/** One upload of the family carrying `punches`, exactly as a device of the family would send it. */
export function buildRequest(d: BenchDevice, punches: BenchPunch[]): BenchRequest {
  switch (d.family) {
    case 'hikvision-isapi': {
      const p = punches[0];
      const serialNo = ++d.counter;
      const body = JSON.stringify({
        ipAddress: '10.0.0.2',
        macAddress: '00:11:22:33:44:55',
        dateTime: shanghaiOffset(p.at),
        activePostCount: 1,
        eventType: 'AccessControllerEvent',
        eventState: 'active',
        eventDescription: 'Access Controller Event',
        AccessControllerEvent: {
          deviceName: 'Access Controller',
          majorEventType: 5,
          subEventType: 75,
          name: 'bench',
          cardReaderNo: 1,
          employeeNoString: p.personId,
          serialNo,
          frontSerialNo: serialNo - 1,
          currentEvent: true,
          attendanceStatus: 'checkIn',
          currentVerifyMode: 'face',
          mask: 'no',
          picturesNumber: 0,
        },
      });
      return {
        method: 'POST',
        path: `/isapi/v1/${d.deviceId}/${d.token}/events`,
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(body),
        acknowledged: (status) => status === 200,
      };
    }
    case 'uface': {
      const p = punches[0];
      const body = new URLSearchParams({
        deviceKey: d.serial,
        personId: p.personId,
        time: String(p.at.getTime()),
        type: 'face_0',
        ip: '10.0.0.3',
        path: `ftp://10.0.0.3/rec/${p.personId}.jpg`,
        recModeType: '1',
        aliveType: '1',
      }).toString();
      return {
        method: 'POST',
        path: `/uface/v1/${d.deviceId}/${d.token}/recognition`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(body),
        acknowledged: (status, text) => status === 200 && /"success"\s*:\s*true/.test(text),
      };
    }
    case 'httpv2': {
      const p = punches[0];
      const boundary = `----bench${randomBytes(6).toString('hex')}`;
      const detail = JSON.stringify({
        RecordID: ++d.counter,
        RecordType: 1,
        RecordDate: Math.floor(p.at.getTime() / 1000),
        UserID: p.personId,
        IdentityCard: '',
        IsEntry: 1,
        BodyTemp: 36.5,
      });
      const body =
        `--${boundary}\r\nContent-Disposition: form-data; name="SN"\r\n\r\n${d.serial}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="RecordDetail"\r\n\r\n${detail}\r\n` +
        `--${boundary}--\r\n`;
      return {
        method: 'POST',
        path: `/httpv2/${d.token}/Record/UploadIdentifyRecord`,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: Buffer.from(body),
        acknowledged: (status, text) => status === 200 && /"Success"\s*:\s*1/.test(text),
      };
    }
    case 'zkteco-push': {
      const lines = punches.map((p) => `${p.personId}\t${shanghaiLocal(p.at)}\t0\t15\t0\t0\t0\t0\t0\t0`);
      return {
        method: 'POST',
        path: `/iclock/cdata?SN=${encodeURIComponent(d.serial)}&table=ATTLOG&Stamp=${Date.now()}`,
        headers: { 'content-type': 'text/plain' },
        body: Buffer.from(lines.join('\n') + '\n'),
        acknowledged: (status, text) => status === 200 && text.startsWith(`OK:${punches.length}`),
      };
    }
    case 'open-v1': {
      const body = JSON.stringify({
        punches: punches.map((p) => ({
          recordId: String(++d.counter),
          personId: p.personId,
          time: shanghaiOffset(p.at),
          direction: 'in',
          verifyMode: 'face',
        })),
      });
      const ts = String(Math.floor(Date.now() / 1000));
      const signature = createHmac('sha256', d.secret).update(`${ts}\n${body}`).digest('hex');
      return {
        method: 'POST',
        path: '/open/v1/punches',
        headers: {
          'content-type': 'application/json',
          'x-device-id': d.deviceId,
          'x-timestamp': ts,
          'x-signature': `v1=${signature}`,
        },
        body: Buffer.from(body),
        acknowledged: (status) => status === 200,
      };
    }
  }
}
