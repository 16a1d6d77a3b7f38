import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, raw, urlencoded } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { ConfigurationError, loadConfig, redactConfig } from './config';
import { grpcServerOptions, GrpcServerSpec } from './grpc';
import { Readiness } from './health';
import { JsonLogger, requestContext } from './logger';
import { createMetricsRegistry, httpRequestHistogram } from './metrics';
import { Problem, ProblemDetailsFilter, toProblem } from './problem';
import { SERVICE_DECLARATION, ServiceDeclaration, ServiceRuntime } from './runtime';

export interface ServiceDefinition<S extends z.ZodObject<z.ZodRawShape>> {
  /** Short name: `attendance`, `device-gateway`. */
  name: string;
  configSchema: S;
  /**
   * The root module, given the validated configuration and the platform's shared pieces. It imports
   * `PlatformModule.forRoot(...)` and provides its {@link ServiceDeclaration} under
   * `SERVICE_DECLARATION`: the components to start and stop, the dependencies to check.
   */
  module: (
    config: z.infer<S>,
    shared: { logger: JsonLogger; registry: ReturnType<typeof createMetricsRegistry> },
  ) => DynamicModule;
  http: (config: z.infer<S>) => { host: string; port: number };
  openapi?: { title: string; description: string; version: string };
  grpc?: (config: z.infer<S>) => GrpcServerSpec;
  logLevel?: (config: z.infer<S>) => 'debug' | 'info' | 'warn' | 'error';
  /** Path prefixes whose bodies reach the handler as raw bytes (signed device protocols). */
  rawBodyPaths?: string[];
}

/** Maximum time graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 25_000;

/**
 * Starts a service: validates configuration (refusing to start with a list of every bad variable),
 * JSON logs with correlation ids, /metrics, /health, problem-details errors, OpenAPI, gRPC with health
 * and reflection, the service's components, and graceful shutdown on SIGTERM/SIGINT.
 *
 * Start-up: foreground components in order, then gRPC and HTTP listen, then the background components
 * (Kafka consumers, relays, sinks) start beside them, each retried until it runs, so a slow group join
 * or a dependency that is away never keeps the service from answering.
 *
 * Shutdown, the same in every service: readiness fails at once, the servers stop accepting and finish
 * their in-flight requests, then the components stop in reverse start order (consumers finish and
 * commit their batch, relays and sinks publish what was acknowledged, clients and pools close).
 */
export async function runService<S extends z.ZodObject<z.ZodRawShape>>(
  def: ServiceDefinition<S>,
): Promise<INestApplication> {
  let config: z.infer<S>;
  try {
    config = loadConfig(def.configSchema);
  } catch (err) {
    if (err instanceof ConfigurationError) {
      process.stderr.write(err.message + '\n');
      process.stderr.write(
        JSON.stringify({
          level: 'error',
          service: def.name,
          msg: 'invalid configuration',
          problems: err.problems,
        }) + '\n',
      );
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = new JsonLogger(def.name, def.logLevel?.(config) ?? 'info');
  const registry = createMetricsRegistry(def.name);
  const app = await NestFactory.create<NestExpressApplication>(def.module(config, { logger, registry }), {
    logger,
    bodyParser: false,
  });
  const requests = httpRequestHistogram(registry);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-correlation-id') ?? req.header('x-request-id');
    const correlationId = incoming && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : uuidv7();
    res.setHeader('x-correlation-id', correlationId);
    const end = requests.startTimer({ method: req.method });
    res.on('finish', () => {
      const route = (req as Request & { route?: { path?: string } }).route?.path ?? 'unmatched';
      end({ route: `${req.baseUrl ?? ''}${route}`, status: String(res.statusCode) });
    });
    requestContext.run({ correlationId }, next);
  });
  // Signed requests are verified over the exact bytes received, so those paths keep the raw body.
  for (const path of def.rawBodyPaths ?? []) app.use(path, raw({ type: () => true, limit: '10mb' }));
  app.use(json({ limit: '5mb' }));
  app.use(urlencoded({ extended: false, limit: '5mb' }));
  // A body the parsers refuse (bad JSON, too large) still gets a problem-details answer.
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!err) return next();
    const e = err as { status?: number; type?: string; message?: string };
    const status = typeof e.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 400;
    const problem = toProblem(
      Problem.badRequest(
        e.type === 'entity.too.large'
          ? 'The request body is too large: send smaller batches'
          : `The request body is not valid JSON: ${e.message ?? 'parse error'}`,
        [{ field: '(body)', message: e.message ?? 'unreadable' }],
      ),
      req.originalUrl,
    );
    res
      .status(status)
      .type('application/problem+json')
      .send(JSON.stringify({ ...problem, status }));
  });
  app.useGlobalFilters(
    new ProblemDetailsFilter((err) => logger.error(err instanceof Error ? err : String(err), 'http')),
  );

  if (def.openapi) {
    const doc = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle(def.openapi.title)
        .setDescription(def.openapi.description)
        .setVersion(def.openapi.version)
        .build(),
    );
    SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/v1/openapi.json' });
  }

  const readiness = app.get(Readiness, { strict: false });
  const runtime = app.get(ServiceRuntime, { strict: false });
  await runtime.startForeground(declarationOf(app, def.name));

  if (def.grpc) {
    const { options } = grpcServerOptions(def.grpc(config));
    app.connectMicroservice(options);
    await app.startAllMicroservices();
  }

  app.enableShutdownHooks();
  let closing = false;
  // Set once the server listens; read when a shutdown signal comes.
  const http: { server?: import('node:http').Server } = {};
  const onSignal = (signal: string) => {
    if (closing) return;
    closing = true;
    readiness.markShuttingDown();
    // Kept-alive connections would hold the server open for their idle timeout: from now on a
    // connection closes as soon as its response is sent, and idle ones close at once.
    if (http.server) {
      const server = http.server;
      server.keepAliveTimeout = 1;
      server.closeIdleConnections();
      setInterval(() => server.closeIdleConnections(), 100).unref();
    }
    setTimeout(() => {
      logger.event('error', 'graceful shutdown took too long; exiting', { signal });
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));

  const { host, port } = def.http(config);
  await app.listen(port, host);
  // Clients that keep connections open (devices, site agents, load balancers) must never reuse one the
  // server is closing at that moment (ECONNRESET on a request the device must then resend): keep idle
  // connections longer than clients usually do (Node's default is 5 s).
  http.server = app.getHttpServer() as import('node:http').Server;
  http.server.keepAliveTimeout = 65_000;
  http.server.headersTimeout = 66_000;
  runtime.startBackground();
  logger.event('info', 'service started', {
    http: `http://${host}:${port}`,
    grpc: def.grpc?.(config).url,
    config: redactConfig(def.configSchema, config),
  });
  return app;
}

function declarationOf(app: INestApplication, service: string): ServiceDeclaration {
  try {
    return app.get<ServiceDeclaration>(SERVICE_DECLARATION, { strict: false });
  } catch {
    throw new Error(
      `${service} provides no SERVICE_DECLARATION: its root module must declare its components and dependencies`,
    );
  }
}
