import { Body, Controller, Get, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { zodProblems } from '@realname/contracts';
import { Problem } from '@realname/platform';
import { AdminAuthGuard } from './admin-auth.guard';
import { Device, DeviceRegistration } from './device';
import { DeviceRepository } from './device-repository';

/** What the API shows of a device: never its secret. */
function view(d: Device) {
  const { secret: _secret, ...rest } = d;
  return rest;
}

@ApiTags('devices')
@ApiBearerAuth()
@UseGuards(AdminAuthGuard)
@Controller('api/v1/devices')
export class DevicesController {
  constructor(private readonly devices: DeviceRepository) {}

  @Post()
  @ApiOperation({ summary: 'Register or update a device (open protocol v1)' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['deviceId', 'projectId', 'region', 'secret'],
      properties: {
        deviceId: { type: 'string', example: 'gate-01' },
        projectId: { type: 'string', example: '330106202601010001' },
        region: { type: 'string', example: '330106' },
        secret: { type: 'string', description: 'HMAC key shared with the device, at least 16 characters' },
        timeZone: { type: 'string', example: 'Asia/Shanghai' },
        defaultDirection: { type: 'string', enum: ['in', 'out', 'unknown'] },
        enabled: { type: 'boolean' },
      },
    },
  })
  async register(@Body() body: unknown) {
    const parsed = DeviceRegistration.safeParse(body);
    if (!parsed.success)
      throw Problem.badRequest('The device registration is not valid', zodProblems(parsed.error));
    return view(await this.devices.upsert(parsed.data));
  }

  @Get()
  @ApiOperation({ summary: 'List devices, optionally of one project' })
  async list(@Query('projectId') projectId?: string) {
    return { devices: (await this.devices.list(projectId)).map(view) };
  }

  @Get(':deviceId')
  @ApiOperation({ summary: 'One device' })
  async get(@Param('deviceId') deviceId: string) {
    const d = await this.devices.find(deviceId);
    if (!d) throw Problem.notFound(`No device "${deviceId}" is registered`);
    return view(d);
  }
}
