/** The device routes' body limits: over them each family gets its own reply with 413, naming the limit. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { bodyErrorHandler, bodyParsers } from '@realname/platform';
import { DEVICE_BODY_LIMITS } from './body-limits';

let server: Server;
let base: string;
beforeAll(async () => {
  const app = express();
  app.use(
    bodyParsers(['/open/v1', '/iclock', '/isapi', '/uface', '/httpv2', '/agent'], DEVICE_BODY_LIMITS, '1mb'),
  );
  app.use(bodyErrorHandler());
  app.use((req, res) => void res.json({ bytes: Buffer.isBuffer(req.body) ? req.body.length : -1 }));
  await new Promise<void>((resolve) => {
    server = app.listen(0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const post = (path: string, bytes: number) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(bytes, 0x41),
  });
const MB = 1024 * 1024;

it('takes what each family sends at most', async () => {
  for (const [path, bytes] of [
    ['/iclock/cdata?SN=ZK1&table=ATTPHOTO', MB - 1000],
    ['/isapi/v1/hik-1/tok/events', 2 * MB - 1000],
    ['/uface/v1/uf-1/tok/recognition', MB - 1000],
    ['/httpv2/tok/Record/UploadIdentifyRecord', 512 * 1024 - 1000],
    ['/open/v1/punches', 10 * MB - 1000],
    ['/agent/v1/devices/hik-1/records', 2 * MB - 1000],
  ] as const) {
    const res = await post(path, bytes);
    expect({ path, status: res.status }).toEqual({ path, status: 200 });
    expect(await res.json()).toEqual({ bytes });
  }
});

it('ZKTeco: an ERROR text with 413', async () => {
  const res = await post('/iclock/cdata?SN=ZK1&table=ATTPHOTO', MB + 1);
  expect(res.status).toBe(413);
  expect(res.headers.get('date')).toBeTruthy();
  expect(await res.text()).toMatch(/^ERROR: the request body is larger than the limit of 1mb/);
});

it('Hikvision: a ResponseStatus with the token hidden', async () => {
  const res = await post('/isapi/v1/hik-1/secret-token/events', 2 * MB + 1);
  expect(res.status).toBe(413);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ statusCode: 4, requestURL: '/isapi/v1/hik-1/<token>/events' });
  expect(String(body.errorMsg)).toContain('2mb');
});

it('Uface and HTTPv2: their own error replies', async () => {
  const uface = await post('/uface/v1/uf-1/tok/recognition', MB + 1);
  expect(uface.status).toBe(413);
  expect(await uface.json()).toMatchObject({
    result: 0,
    success: false,
    msg: expect.stringContaining('1mb'),
  });
  const v2 = await post('/httpv2/tok/Record/UploadIdentifyRecord', 512 * 1024 + 1);
  expect(v2.status).toBe(413);
  expect(await v2.json()).toMatchObject({
    Success: 0,
    ErrorCode: 1001,
    ErrorMsg: expect.stringContaining('512kb'),
  });
});

it('open-v1: problem details with code open-v1/payload-too-large; site agent: problem details', async () => {
  const open = await post('/open/v1/punches', 10 * MB + 1);
  expect(open.status).toBe(413);
  expect(await open.json()).toMatchObject({
    type: 'urn:realname:problem:payload-too-large',
    code: 'open-v1/payload-too-large',
    detail: expect.stringContaining('10mb'),
  });
  const agent = await post('/agent/v1/devices/hik-1/records', 2 * MB + 1);
  expect(agent.status).toBe(413);
  expect(await agent.json()).toMatchObject({ type: 'urn:realname:problem:payload-too-large', status: 413 });
});
