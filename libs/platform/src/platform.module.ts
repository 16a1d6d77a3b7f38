import { BeforeApplicationShutdown, DynamicModule, Global, Inject, Injectable, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HealthController, Readiness } from './health';
import { JsonLogger, LOGGER } from './logger';
import { createMetricsRegistry, METRICS_REGISTRY, MetricsController } from './metrics';
import { ServiceRuntime } from './runtime';

export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');

export interface PlatformOptions {
  service: string;
  config: unknown;
  logger: JsonLogger;
  registry?: Registry;
}

@Injectable()
class ShutdownSignal implements BeforeApplicationShutdown {
  constructor(
    private readonly readiness: Readiness,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}
  beforeApplicationShutdown(signal?: string): void {
    this.logger.event('info', 'shutting down: finishing work in hand', { signal });
    this.readiness.markShuttingDown();
  }
}

/** Configuration, logging, metrics, health and the component runtime for every service; imported once by its root module. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(opts: PlatformOptions): DynamicModule {
    const registry = opts.registry ?? createMetricsRegistry(opts.service);
    return {
      module: PlatformModule,
      controllers: [MetricsController, HealthController],
      providers: [
        { provide: SERVICE_CONFIG, useValue: opts.config },
        { provide: LOGGER, useValue: opts.logger },
        { provide: METRICS_REGISTRY, useValue: registry },
        Readiness,
        ShutdownSignal,
        ServiceRuntime,
      ],
      exports: [SERVICE_CONFIG, LOGGER, METRICS_REGISTRY, Readiness, ServiceRuntime],
    };
  }
}
