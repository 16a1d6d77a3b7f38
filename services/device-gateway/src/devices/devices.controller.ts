import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { GatewayApi, zodProblems } from '@realname/contracts';
import {
  actorOf,
  ApiAnswers,
  ApiBodyFrom,
  ApiParamsFrom,
  ApiQueryFrom,
  Caller,
  CurrentCaller,
  GUARDED_READ_ANSWERS,
  Problem,
  RequireRoles,
  ResourceServerGuard,
  SERVICE_CONFIG,
} from '@realname/platform';
import type { GatewayConfig } from '../config';
import { Backfills } from '../backfill/backfills';
import { CommandQueue } from '../commands/command-queue';
import { GatePersons } from '../commands/gate-persons';
import { PunchRecordsRepository } from '../ingest/punch-records.repository';
import { RefusedRequests, UNKNOWN_DEVICE } from '../ingest/refused-requests';
import { Device, DeviceRegistration } from './device';
import {
  DeviceOutOfScope,
  DeviceRepository,
  IssuedCredential,
  NothingToRotate,
  SerialTaken,
} from './device-repository';
import { DEVICE_READERS, DEVICE_WRITERS, PERSONAL_DATA_READERS, REFUSED_READERS } from './device-roles';
import { BACKFILL_RANGE_BODY, REGISTRATION_BODY, ROTATION_BODY } from './devices.openapi';

const Api = GatewayApi;

/** What the API shows of a device: never its secret, its token or the token's hash. */
export function view(d: Device) {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { secret, token, tokenHash, ...rest } = d;
  return { ...rest, hasSecret: Boolean(secret), hasToken: Boolean(tokenHash) };
}

/** A rotation may name the new credential; otherwise the gateway generates one. */
const Rotation = z
  .object({
    secret: DeviceRegistration.innerType().shape.secret,
    token: DeviceRegistration.innerType().shape.token,
  })
  .strict();

/** The URLs to configure on a device of each family (the token only where the caller may see it). */
export function deviceEndpoints(base: string, d: Device, token = '<token>'): Record<string, string> {
  switch (d.family) {
    case 'open-v1':
      return { api: `${base}/open/v1` };
    case 'zkteco-push':
      return { server: base, cdata: `${base}/iclock/cdata?SN=${d.serial ?? '<SN>'}` };
    case 'hikvision-isapi':
      return {
        httpHost: `${base}/isapi/v1/${d.deviceId}/${token}/events`,
        siteAgent: `${base}/agent/v1/devices/${d.deviceId}`,
      };
    case 'uface':
      return {
        base: `${base}/uface/v1/${d.deviceId}/${token}`,
        siteAgent: `${base}/agent/v1/devices/${d.deviceId}`,
      };
    case 'httpv2':
      return { base: `${base}/httpv2/${token}` };
  }
}

const Range = Api.BackfillRange.refine((r) => Date.parse(r.from) < Date.parse(r.to), {
  message: 'must be before "to"',
  path: ['from'],
}).refine((r) => Date.parse(r.to) - Date.parse(r.from) <= 31 * 86_400_000, {
  message: 'the range may span at most 31 days: split it',
  path: ['to'],
});

const CommandFilter = Api.CommandListQuery;
const DeviceFilter = Api.DeviceListQuery;

/** Every answer of a write, besides its own: a role that may not write, or a device outside the scope. */
const WRITE_ANSWERS = {
  ...GUARDED_READ_ANSWERS,
  403: "The token's roles may not change devices, or the device, region or project is outside its scope",
} as const;

/** The device of the document's examples in each identity's scope (Xihu for Hangzhou, Ningbo). */
const DEVICE_ID_EXAMPLES = { deviceId: Api.DEVICE_EXAMPLES.map((d) => d.deviceId) };

/** A write to a device, region or project outside the caller's scope: 403, naming why. */
function forbidden(err: DeviceOutOfScope): Problem {
  return new Problem('out-of-scope', 'Forbidden', 403, err.message);
}

/** Runs a write; a {@link DeviceOutOfScope} from the repository becomes its 403. */
async function outOfScopeForbidden<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof DeviceOutOfScope) throw forbidden(err);
    throw err;
  }
}

const notFound = (deviceId: string) => Problem.notFound(`No device "${deviceId.slice(0, 64)}" is registered`);

function parse<T extends z.ZodTypeAny>(schema: T, input: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw Problem.badRequest(`The ${what} is not valid`, zodProblems(r.error));
  return r.data;
}

@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(ResourceServerGuard)
@Controller('api/v1/devices')
export class DevicesController {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly commands: CommandQueue,
    private readonly backfills: Backfills,
    private readonly gatePersons: GatePersons,
    private readonly punchRecords: PunchRecordsRepository,
    private readonly refused: RefusedRequests,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
  ) {}

  private get base() {
    return (
      this.config.GATEWAY_PUBLIC_URL ??
      `http://${this.config.GATEWAY_HTTP_HOST}:${this.config.GATEWAY_HTTP_PORT}`
    );
  }

  @Post()
  @ApiOperation({
    summary:
      'Register or update a device. The reply holds the URLs to configure on the device and, once, a generated path token (never again: a later reply or GET does not show it)',
  })
  @ApiBody({ required: true, schema: REGISTRATION_BODY })
  @ApiAnswers({
    201: { schema: Api.RegisteredDevice, description: 'Registered (or updated)' },
    400: true,
    409: 'The serial number is registered for another device',
    413: true,
    ...WRITE_ANSWERS,
  })
  @RequireRoles(...DEVICE_WRITERS)
  async register(@Body() body: unknown, @CurrentCaller() caller: Caller) {
    const reg = parse(DeviceRegistration, body, 'device registration');
    let saved;
    try {
      saved = await this.devices.upsert(reg, caller);
    } catch (err) {
      if (err instanceof DeviceOutOfScope) throw forbidden(err);
      if (err instanceof SerialTaken)
        throw new Problem('serial-taken', 'Conflict', 409, err.message, [
          { field: 'serial', message: err.message },
        ]);
      throw err;
    }
    const { device, previous, issued } = saved;
    // A new device, or one moved to another project, gets everyone already on the site.
    const queued =
      device.enabled && (!previous || previous.projectId !== device.projectId)
        ? await this.gatePersons.syncDevice(device)
        : 0;
    return {
      ...view(device),
      // The token only in the reply that generated it; a caller who gave one knows it.
      endpoints: deviceEndpoints(this.base, device, issued.token),
      ...issued,
      personsQueued: queued,
    };
  }

  @Get()
  @ApiOperation({ summary: 'List the devices of your scope, by project, family or online state' })
  @ApiQueryFrom(Api.DeviceListQuery)
  @ApiAnswers({ 200: Api.DeviceList, 400: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...DEVICE_READERS)
  async list(@Query() query: Record<string, string>, @CurrentCaller() caller: Caller) {
    const f = parse(DeviceFilter, query, 'filter');
    const devices = await this.devices.list(
      {
        projectId: f.projectId,
        family: f.family,
        online: f.online === undefined ? undefined : f.online === 'true',
      },
      caller.scope,
    );
    return { devices: devices.map(view) };
  }

  @Get(':deviceId')
  @ApiOperation({ summary: 'One device: state (online, last seen, clock skew), pending commands, URLs' })
  @ApiParamsFrom(Api.DevicePathParams, DEVICE_ID_EXAMPLES)
  @ApiAnswers({ 200: Api.DeviceDetail, 404: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...DEVICE_READERS)
  async get(@Param('deviceId') deviceId: string, @CurrentCaller() caller: Caller) {
    const d = await this.device(deviceId, caller);
    return {
      ...view(d),
      pendingCommands: await this.commands.pendingCounts(d.deviceId),
      endpoints: deviceEndpoints(this.base, d),
    };
  }

  @Patch(':deviceId')
  @ApiOperation({ summary: 'Enable or disable a device ({"enabled": false}); a disabled device is refused' })
  @ApiParamsFrom(Api.DevicePathParams, DEVICE_ID_EXAMPLES)
  @ApiBodyFrom(Api.DeviceChange)
  @ApiAnswers({ 200: Api.DeviceView, 400: true, 404: true, 413: true, ...WRITE_ANSWERS })
  @RequireRoles(...DEVICE_WRITERS)
  async patch(@Param('deviceId') deviceId: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    const { enabled } = parse(Api.DeviceChange, body, 'change');
    // No device can have an id of another shape (and PostgreSQL text cannot hold a NUL).
    if (!Api.DEVICE_ID.test(deviceId)) throw notFound(deviceId);
    const d = await outOfScopeForbidden(() => this.devices.setEnabled(deviceId, enabled, caller));
    if (!d) throw notFound(deviceId);
    return view(d);
  }

  @Post(':deviceId/credentials/rotations')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Replace the device's credential (open-v1: HMAC secret; Hikvision, Uface, HTTPv2: path token, also the site agent's key). The new one is in this reply only; the old one stops working",
  })
  @ApiParamsFrom(Api.DevicePathParams, DEVICE_ID_EXAMPLES)
  @ApiBody({ required: false, schema: ROTATION_BODY })
  @ApiAnswers({
    200: Api.RotatedDevice,
    400: true,
    404: true,
    413: true,
    409: "The device's family has no credential of the gateway's to rotate (ZKTeco: its serial), or none of the kind given (a secret for a device with a path token, a token for an open-v1 device)",
    ...WRITE_ANSWERS,
  })
  @RequireRoles(...DEVICE_WRITERS)
  async rotateCredential(
    @Param('deviceId') deviceId: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    const given: IssuedCredential = parse(Rotation, body, 'rotation');
    const current = await this.writable(deviceId, caller);
    const unfit =
      given.secret && current.family !== 'open-v1'
        ? 'secret'
        : given.token && current.family === 'open-v1'
          ? 'token'
          : undefined;
    // Well formed, but not for this device: a conflict with its family, as when there is nothing to rotate.
    if (unfit)
      throw new Problem('credential-unfit', 'Conflict', 409, `a ${current.family} device has no ${unfit}`, [
        { field: unfit, message: `a ${current.family} device has no ${unfit}` },
      ]);
    let rotated;
    try {
      rotated = await this.devices.rotateCredential(deviceId, caller, given);
    } catch (err) {
      if (err instanceof DeviceOutOfScope) throw forbidden(err);
      if (err instanceof NothingToRotate)
        throw new Problem('nothing-to-rotate', 'Conflict', 409, err.message);
      throw err;
    }
    if (!rotated) throw notFound(deviceId);
    const { device, issued } = rotated;
    return {
      ...view(device),
      endpoints: deviceEndpoints(this.base, device, issued.token),
      ...issued,
      rotatedAt: new Date().toISOString(),
    };
  }

  @Get(':deviceId/refused-requests')
  @ApiOperation({
    summary: `Requests refused or ignored for the device: counts by reason over the last days, and the last samples (first bytes of each body). "${UNKNOWN_DEVICE}": requests naming no registered device`,
  })
  @ApiParamsFrom(Api.RefusedDevicePathParams, DEVICE_ID_EXAMPLES)
  @ApiQueryFrom(Api.RefusedRequestsQuery)
  @ApiAnswers({ 200: Api.RefusedRequestsSummary, 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...REFUSED_READERS)
  async refusedRequests(
    @Param('deviceId') deviceId: string,
    @Query() query: Record<string, string>,
    @CurrentCaller() caller: Caller,
  ) {
    const q = parse(Api.RefusedRequestsQuery, query, 'filter');
    // Requests naming no registered device belong to no region: only a province-wide caller sees them.
    if (deviceId === UNKNOWN_DEVICE && caller.scope.kind !== 'province') throw notFound(deviceId);
    const id = deviceId === UNKNOWN_DEVICE ? UNKNOWN_DEVICE : (await this.device(deviceId, caller)).deviceId;
    return { deviceId: id, ...(await this.refused.summary(id, q.days, q.limit)) };
  }

  @Get(':deviceId/commands')
  @ApiOperation({ summary: "The device's commands (person issuance, record queries) and their status" })
  @ApiParamsFrom(Api.DevicePathParams, DEVICE_ID_EXAMPLES)
  @ApiQueryFrom(Api.CommandListQuery)
  @ApiAnswers({ 200: Api.CommandList, 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...PERSONAL_DATA_READERS)
  async listCommands(
    @Param('deviceId') deviceId: string,
    @Query() query: Record<string, string>,
    @CurrentCaller() caller: Caller,
  ) {
    const d = await this.device(deviceId, caller);
    const f = parse(CommandFilter, query, 'filter');
    return { commands: await this.commands.list(d.deviceId, f) };
  }

  @Post(':deviceId/person-sync')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send everyone currently on the project to the device again' })
  @ApiParamsFrom(Api.DevicePathParams, DEVICE_ID_EXAMPLES)
  @ApiAnswers({ 200: Api.PersonSyncReply, 404: true, ...WRITE_ANSWERS })
  @RequireRoles(...DEVICE_WRITERS)
  async personSync(@Param('deviceId') deviceId: string, @CurrentCaller() caller: Caller) {
    const d = await this.writable(deviceId, caller);
    return { personsQueued: await this.gatePersons.syncDevice(d) };
  }

  @Post(':deviceId/backfills')
  @ApiOperation({ summary: 'Ask the device for the records of a time range again (fills gaps)' })
  @ApiParamsFrom(Api.DevicePathParams, DEVICE_ID_EXAMPLES)
  @ApiBody({ required: true, schema: BACKFILL_RANGE_BODY })
  @ApiAnswers({
    201: { schema: Api.BackfillView, description: 'Requested' },
    400: true,
    404: true,
    413: true,
    ...WRITE_ANSWERS,
  })
  @RequireRoles(...DEVICE_WRITERS)
  async requestBackfill(
    @Param('deviceId') deviceId: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    const d = await this.writable(deviceId, caller);
    const r = parse(Range, body, 'range');
    return this.backfills.request(d, new Date(r.from), new Date(r.to), 'on-demand', actorOf(caller));
  }

  @Get(':deviceId/backfills')
  @ApiOperation({ summary: "The device's backfills, newest first" })
  @ApiParamsFrom(Api.DevicePathParams, DEVICE_ID_EXAMPLES)
  @ApiAnswers({ 200: Api.BackfillList, 404: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...DEVICE_READERS)
  async listBackfills(@Param('deviceId') deviceId: string, @CurrentCaller() caller: Caller) {
    const d = await this.device(deviceId, caller);
    return { backfills: await this.backfills.list(d.deviceId) };
  }

  @Get(':deviceId/records')
  @ApiOperation({
    summary: 'Records the gateway holds from the device in a time range (with photo references)',
  })
  @ApiParamsFrom(Api.DevicePathParams, DEVICE_ID_EXAMPLES)
  @ApiQueryFrom(Api.RecordsQuery, { from: '2026-11-20T00:00:00+08:00', to: '2026-12-31T00:00:00+08:00' })
  @ApiAnswers({ 200: Api.DeviceRecords, 400: true, 404: true, ...GUARDED_READ_ANSWERS })
  @RequireRoles(...PERSONAL_DATA_READERS)
  async records(
    @Param('deviceId') deviceId: string,
    @Query() query: Record<string, string>,
    @CurrentCaller() caller: Caller,
  ) {
    const d = await this.device(deviceId, caller);
    const q = parse(Api.RecordsQuery, query, 'range');
    const rows = await this.punchRecords.between(d.deviceId, new Date(q.from), new Date(q.to), q.limit);
    return { records: rows };
  }

  /** A device to read: one outside the caller's scope is not found, like a missing one. */
  private async device(deviceId: string, caller: Caller): Promise<Device> {
    if (!Api.DEVICE_ID.test(deviceId)) throw notFound(deviceId);
    const d = await this.devices.findInScope(deviceId, caller.scope);
    if (!d) throw notFound(deviceId);
    return d;
  }

  /** A device to change: 404 when there is none, 403 when it is outside the caller's scope. */
  private async writable(deviceId: string, caller: Caller): Promise<Device> {
    if (!Api.DEVICE_ID.test(deviceId)) throw notFound(deviceId);
    const d = await outOfScopeForbidden(() => this.devices.forWrite(deviceId, caller));
    if (!d) throw notFound(deviceId);
    return d;
  }
}
