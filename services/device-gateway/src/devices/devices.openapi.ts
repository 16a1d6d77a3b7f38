import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { GatewayApi } from '@realname/contracts';
import { openApiSchemaOf } from '@realname/platform';
import { DeviceRegistration, SERIAL_FAMILIES } from './device';

/*
 * The request bodies of the admin API as the OpenAPI document states them, from the zod schemas the
 * controller parses: every constraint the gateway checks, so that a body the document allows is
 * accepted and one it does not is refused.
 */

/**
 * The time zones a device may be registered in: the IANA zones of the runtime (what `isValidTimeZone`
 * accepts, spelt canonically), and UTC.
 */
export const TIME_ZONES = [...new Set([...Intl.supportedValuesOf('timeZone'), 'UTC'])].sort() as [
  string,
  ...string[],
];

/** Properties the parser ignores are allowed: the registration is not strict (unknown keys are dropped). */
function allowingOtherProperties(schema: SchemaObject): SchemaObject {
  const copy = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.additionalProperties === false) delete o.additionalProperties;
    for (const v of Object.values(o)) visit(v);
  };
  visit(copy);
  return copy as SchemaObject;
}

const shape = DeviceRegistration.innerType().shape;
const common = z.object({
  deviceId: shape.deviceId.describe('1-64 letters, digits, dot, underscore or hyphen'),
  projectId: shape.projectId.describe(
    'The project id (18 digits as the registry issues them): 1-64 characters, no control characters',
  ),
  region: shape.region.describe('A six-digit administrative division code, e.g. 330106'),
  gate: shape.gate.describe(
    'Where the device stands, e.g. "North gate, lane 1": 1-64 characters, no control characters',
  ),
  serial: shape.serial.describe('ZKTeco SN, Uface deviceKey, HTTPv2 SN, Hikvision serial (informational)'),
  secret: shape.secret.describe(
    'open-v1: the HMAC key shared with the device, 16-256 printable ASCII characters without spaces',
  ),
  token: shape.token.describe(
    'Path token of Hikvision, Uface, HTTPv2 (generated when absent); also the site agent key',
  ),
  timeZone: z
    .enum(TIME_ZONES)
    .default('Asia/Shanghai')
    .describe('An IANA time zone; Asia/Shanghai when not given'),
  defaultDirection: shape.defaultDirection,
  enabled: shape.enabled,
});
const serialFamilies = SERIAL_FAMILIES as [DeviceRegistration['family'], ...DeviceRegistration['family'][]];

/**
 * A registration: open-v1 (the default family) needs its `secret`, the families that name themselves
 * with a serial need `serial`, Hikvision neither.
 */
const Registration = z.union([
  common.extend({
    family: z.literal('open-v1').default('open-v1'),
    secret: shape.secret
      .unwrap()
      .describe('The HMAC key shared with the device, 16-256 printable ASCII characters without spaces'),
  }),
  common.extend({
    family: z.enum(serialFamilies),
    serial: shape.serial
      .unwrap()
      .describe('The ZKTeco or HTTPv2 SN, or the Uface deviceKey, as the device reports it'),
  }),
  common.extend({ family: z.literal('hikvision-isapi') }),
]);

export const REGISTRATION_BODY: SchemaObject = {
  ...allowingOtherProperties(openApiSchemaOf(Registration)),
  description:
    'A device: open-v1 (the default family) needs its HMAC `secret`; ZKTeco, Uface and HTTPv2 need the `serial` they report. Other properties are ignored',
  example: {
    deviceId: 'gate-01',
    projectId: '330106202601010001',
    region: '330106',
    family: 'open-v1',
    secret: 'a-secret-of-16-chars-at-least',
    gate: 'North gate, lane 1',
  },
};

export const ROTATION_BODY: SchemaObject = {
  ...openApiSchemaOf(
    z
      .object({
        secret: shape.secret.describe('open-v1: the new HMAC key (generated when absent)'),
        token: shape.token.describe('Hikvision, Uface, HTTPv2: the new path token (generated when absent)'),
      })
      .strict(),
  ),
  description:
    'The new credential; generated when absent. A secret only for an open-v1 device, a token only for the others (else 409)',
};

export const BACKFILL_RANGE_BODY: SchemaObject = {
  ...openApiSchemaOf(GatewayApi.BackfillRange),
  description: 'A range of at most 31 days, `from` before `to`',
  example: { from: '2026-11-21T06:00:00+08:00', to: '2026-11-21T09:00:00+08:00' },
};
