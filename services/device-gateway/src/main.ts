import 'reflect-metadata';
import { ConfigurationError, runService } from '@realname/platform';
import { checkGatewayConfig, GatewayConfigSchema, retiredVariablesSet } from './config';
import { DEVICE_BODY_LIMITS } from './families/shared/body-limits';
import { GatewayModule } from './gateway.module';
import { OPEN_PROTOCOL_PREFIX } from './open-protocol/open-protocol.controller';

void runService({
  name: 'device-gateway',
  configSchema: GatewayConfigSchema,
  module: (config, shared) => {
    for (const warning of retiredVariablesSet()) shared.logger.event('warn', warning);
    return GatewayModule.forRoot(checkGatewayConfig(config), shared);
  },
  http: (c) => ({ host: c.GATEWAY_HTTP_HOST, port: c.GATEWAY_HTTP_PORT }),
  logLevel: (c) => c.LOG_LEVEL,
  // Device protocols: each adapter parses its own bytes (JSON, forms, multipart, GB2312 text).
  rawBodyPaths: [OPEN_PROTOCOL_PREFIX, '/iclock', '/isapi', '/uface', '/httpv2', '/agent'],
  // Each family's limit (and its own 413 reply); the admin API takes the platform default (1 MB).
  bodyLimits: DEVICE_BODY_LIMITS,
  openapi: {
    title: 'Device gateway',
    description: 'Attendance devices push punches here; administrators register devices.',
    version: '1',
  },
}).catch((err) => {
  if (err instanceof ConfigurationError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78); // EX_CONFIG, as for the variables the schema refuses
  }
  process.stderr.write(`device-gateway failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
