import { randomBytes } from 'node:crypto';
import { GatewayApi, OPEN_V1_PUNCHES_PATH, signRequest } from '@realname/contracts';
import { freePort, resourceServerEnv, startService, tokenFor } from '@realname/testing';
import { Client } from 'pg';
import type { FuzzTarget } from './targets';

/*
 * The device gateway's admin API (devices, photos) with a device in Hangzhou (Xihu, seen by dev-hz) and
 * one in Ningbo (seen by nb-city), each with a punch and its snapshot: the devices and the photo of the
 * document's examples, so that the examples phase reads answers with something in them.
 *
 * Identities: dev-hz, the realm's one device administrator (Hangzhou), runs every write in and out of
 * its scope; nb-city, a supervisor of another city, reads (records, commands, photos, which a device
 * administrator may not read) and is refused every write. zj-province would see both devices: no
 * answer outside its scope would be checked.
 */

const DEVICES = GatewayApi.DEVICE_EXAMPLES.map((d) => ({ ...d, secret: randomBytes(16).toString('hex') }));

export const DEVICE_GATEWAY: FuzzTarget = {
  service: 'device-gateway',
  identities: ['dev-hz', 'nb-city'],
  async start(infra, run) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const schema = `gw_${run}`;
    const service = await startService(
      'device-gateway',
      {
        ...resourceServerEnv(),
        DATABASE_URL: infra.postgresUrl,
        DATABASE_SCHEMA: schema,
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: `${run}.`,
        KAFKA_GROUP_ID: `gateway-${run}`,
        KAFKA_SESSION_TIMEOUT_MS: '8000',
        GATEWAY_HTTP_PORT: String(port),
        DEVICE_SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        DEVICE_SECRET_ACTIVE_KEY_ID: 'k1',
        // As for attendance: a 429 is documented, but would hide the answers the checks are about.
        API_RATE_LIMIT_PER_S: '0',
        GATEWAY_DEVICES: JSON.stringify(
          DEVICES.map((d) => ({
            deviceId: d.deviceId,
            projectId: d.projectId,
            region: d.region,
            secret: d.secret,
          })),
        ),
      },
      `${url}/health/ready`,
    );
    const stop = async () => {
      await service.stop();
      const pg = new Client({ connectionString: infra.postgresUrl });
      await pg.connect();
      await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => pg.end());
    };
    try {
      // Each device takes a punch with the snapshot of the document's example (one photo, one digest).
      for (const d of DEVICES) {
        const body = JSON.stringify({
          punches: [
            {
              recordId: `r-${d.deviceId}`,
              personId: '10001',
              time: new Date(Date.now() - 60_000).toISOString().slice(0, 19) + 'Z',
              direction: 'in',
              verifyMode: 'face',
              photo: GatewayApi.PHOTO_EXAMPLE_BYTES.toString('base64'),
            },
          ],
        });
        const ts = String(Math.floor(Date.now() / 1000));
        const res = await fetch(url + OPEN_V1_PUNCHES_PATH, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-device-id': d.deviceId,
            'x-timestamp': ts,
            'x-signature': signRequest(d.secret, ts, body),
          },
          body,
        });
        if (res.status !== 200)
          throw new Error(`a punch of ${d.deviceId}: HTTP ${res.status} ${await res.text()}`);
      }
      // The photo is readable by the supervisor of each device's city.
      for (const [who, d] of [
        ['hz-city', DEVICES[0]],
        ['nb-city', DEVICES[1]],
      ] as const) {
        const res = await fetch(
          `${url}/api/v1/devices/${d.deviceId}/records?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z`,
          {
            headers: { authorization: `Bearer ${await tokenFor(who)}` },
          },
        );
        const records = ((await res.json()) as { records?: { photoRef?: string }[] }).records ?? [];
        if (records[0]?.photoRef !== `sha256:${GatewayApi.PHOTO_EXAMPLE_SHA256}`)
          throw new Error(`the records of ${d.deviceId}: ${JSON.stringify(records)}`);
      }
    } catch (err) {
      await stop().catch(() => undefined);
      throw err;
    }
    return { url, stop };
  },
};
