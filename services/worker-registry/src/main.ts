import 'reflect-metadata';
import { grpcServerTlsOf, runService } from '@realname/platform';
import { PROTO_ROOT, protoPath, REGISTRY_V1_PACKAGE, REGISTRY_V1_PROTO } from '@realname/proto';
import { RegistryConfigSchema } from './config';
import { RegistryModule } from './registry.module';

void runService({
  name: 'worker-registry',
  configSchema: RegistryConfigSchema,
  module: (config, shared) => RegistryModule.forRoot(config, shared),
  http: (c) => ({ host: c.REGISTRY_HTTP_HOST, port: c.REGISTRY_HTTP_PORT }),
  logLevel: (c) => c.LOG_LEVEL,
  grpc: (c) => ({
    url: c.REGISTRY_GRPC_URL,
    packages: [REGISTRY_V1_PACKAGE],
    protoPaths: [protoPath(REGISTRY_V1_PROTO)],
    includeDir: PROTO_ROOT,
    services: [`${REGISTRY_V1_PACKAGE}.RegistryService`],
    tls: grpcServerTlsOf(c),
  }),
  openapi: {
    title: 'Worker registry',
    description:
      'Projects, participating units and key personnel synced from the integrity platform (read-only here); local additions; workers and enrolments. Personal numbers are shown masked; unmasked only through the audited identity reveals.',
    version: '1',
  },
}).catch((err) => {
  process.stderr.write(
    `worker-registry failed to start: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
