import 'reflect-metadata';
import { runService } from '@realname/platform';
import { RegistryConfigSchema } from './config';
import { RegistryModule } from './registry.module';

void runService({
  name: 'worker-registry',
  configSchema: RegistryConfigSchema,
  module: (config, shared) => RegistryModule.forRoot(config, shared),
  http: (c) => ({ host: c.REGISTRY_HTTP_HOST, port: c.REGISTRY_HTTP_PORT }),
  logLevel: (c) => c.LOG_LEVEL,
  openapi: {
    title: 'Worker registry',
    description:
      'Projects, participating units and key personnel synced from the integrity platform (read-only here); local additions.',
    version: '1',
  },
}).catch((err) => {
  process.stderr.write(
    `worker-registry failed to start: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
