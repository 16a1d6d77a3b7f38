import { BeforeApplicationShutdown, DynamicModule, Global, Inject, Injectable, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HealthController, Readiness } from './health';
import { JsonLogger } from './logger';
import { createMetricsRegistry, METRICS_REGISTRY, MetricsController } from './metrics';

export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const LOGGER = Symbol('LOGGER');

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

/** Configuration, logging, metrics and health for every service; imported once by its root module. */
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
      ],
      exports: [SERVICE_CONFIG, LOGGER, METRICS_REGISTRY, Readiness],
    };
  }
}
