import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { json, raw, urlencoded } from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { ConfigurationError, loadConfig, redactConfig } from './config';
import { grpcServerOptions, GrpcServerSpec } from './grpc';
import { Readiness } from './health';
import { JsonLogger, requestContext } from './logger';
import { createMetricsRegistry, httpRequestHistogram } from './metrics';
import { methodNotAllowed } from './openapi/method-not-allowed';
import { Problem, ProblemDetailsFilter, toProblem } from './problem';
import { apiRateLimit, RateLimited, underPrefix } from './rate-limit';
import { SERVICE_DECLARATION, ServiceDeclaration, ServiceRuntime } from './runtime';

/** A body size limit for the routes under `path` (the longest matching prefix wins). */
export interface BodyLimit {
  path: string;
  /** As the body parsers take it: `256kb`, `2mb`. */
  limit: string;
  /**
   * Answers a body over the limit in the route's own terms (device families); problem details with
   * 413 otherwise. The status should be 413.
   */
  tooLarge?: (req: Request, res: Response, limit: string) => void;
}

/** Body limit of routes no {@link BodyLimit} names (admin and registry JSON). */
export const DEFAULT_BODY_LIMIT = '1mb';

/** Settings every service's HTTP server shares (the per-client limit of the REST API). */
export const HttpLimitsSchema = z.object({
  /** Requests per second each client (bearer token subject, else address) may make; 0: no limit. */
  API_RATE_LIMIT_PER_S: z.coerce.number().min(0).max(1_000_000).default(100),
  /** Requests a client may make at once after a quiet spell. */
  API_RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(10_000_000).default(300),
});

/** Paths the per-client REST limit never counts (probes and scrapes). */
const UNLIMITED_PATHS = ['/health', '/metrics'];

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
  /**
   * Path prefixes whose bodies reach the handler as raw bytes (signed device protocols). These routes
   * are not counted by the per-client REST limit: device routes limit per device themselves.
   */
  rawBodyPaths?: string[];
  /** Body size limits by path prefix; other routes take `defaultBodyLimit` ({@link DEFAULT_BODY_LIMIT}). */
  bodyLimits?: BodyLimit[];
  defaultBodyLimit?: string;
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
  let limits: z.infer<typeof HttpLimitsSchema>;
  try {
    config = loadConfig(def.configSchema.merge(HttpLimitsSchema) as unknown as S);
    limits = loadConfig(HttpLimitsSchema);
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
  app.use(
    apiRateLimit({
      ratePerS: limits.API_RATE_LIMIT_PER_S,
      burst: limits.API_RATE_LIMIT_BURST,
      exclude: [...UNLIMITED_PATHS, ...(def.rawBodyPaths ?? [])],
      reject: (req, res, retryAfterS) => sendProblem(req, res, new RateLimited(retryAfterS)),
    }),
  );
  // Set below once the document is built; a documented path called with another method answers 405.
  let openapiDocument: OpenAPIObject | undefined;
  app.use(
    methodNotAllowed(
      () => openapiDocument,
      (req, res, allow) =>
        sendProblem(
          req,
          res,
          new Problem(
            'method-not-allowed',
            'Method not allowed',
            405,
            `${req.method} is not an operation of ${req.path}: use ${allow}`,
          ),
        ),
    ),
  );
  app.use(
    bodyParsers(def.rawBodyPaths ?? [], def.bodyLimits ?? [], def.defaultBodyLimit ?? DEFAULT_BODY_LIMIT),
  );
  // A body the parsers refuse (bad JSON, too large) still gets a problem-details answer.
  app.use(bodyErrorHandler());
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
        // Every operation needs an access token from the province's OpenID Connect provider
        // (docs/access.md); routes that need none (health, metrics) are not in this document.
        .addBearerAuth(
          {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'An access token (JWT) of the OpenID Connect issuer the service trusts (OIDC_ISSUER_URL), with the platform audience; its roles and scope decide what the call may see and do.',
          },
          'bearer',
        )
        .addSecurityRequirements('bearer')
        .build(),
    );
    SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/v1/openapi.json' });
    openapiDocument = doc;
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

function sendProblem(req: Request, res: Response, problem: Problem): void {
  const body = toProblem(problem, req.originalUrl);
  if (problem.retryAfterS !== undefined) res.setHeader('Retry-After', String(problem.retryAfterS));
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}

interface BodyLimitHit {
  limit: string;
  tooLarge?: BodyLimit['tooLarge'];
}

/**
 * The body parsers, with the limit of the longest {@link BodyLimit} prefix the path is under (else
 * `defaultLimit`): raw bytes under `rawPaths` (signed requests are verified over the exact bytes
 * received), JSON and forms elsewhere. A body over the limit is passed on as an error naming the limit.
 */
export function bodyParsers(
  rawPaths: string[],
  bodyLimits: BodyLimit[],
  defaultLimit: string,
): RequestHandler {
  const rules = [...bodyLimits].sort((a, b) => b.path.length - a.path.length);
  const chains = new Map<string, RequestHandler[]>();
  const chainFor = (isRaw: boolean, limit: string): RequestHandler[] => {
    const key = `${isRaw}:${limit}`;
    let chain = chains.get(key);
    if (!chain) {
      chain = isRaw
        ? [raw({ type: () => true, limit })]
        : [json({ limit }), urlencoded({ extended: false, limit })];
      chains.set(key, chain);
    }
    return chain;
  };
  return (req, res, next) => {
    const rule = rules.find((r) => underPrefix(req.path, r.path));
    const limit = rule?.limit ?? defaultLimit;
    const chain = chainFor(
      rawPaths.some((p) => underPrefix(req.path, p)),
      limit,
    );
    let i = 0;
    const step = (err?: unknown): void => {
      if (err) {
        if ((err as { type?: string }).type === 'entity.too.large')
          (err as { bodyLimit?: BodyLimitHit }).bodyLimit = { limit, tooLarge: rule?.tooLarge };
        return next(err);
      }
      const parser = chain[i++];
      if (!parser) return next();
      parser(req, res, step);
    };
    step();
  };
}

/**
 * Answers a body the parsers refused: too large (413, in the route's own terms when its
 * {@link BodyLimit} has `tooLarge`, else problem details naming the limit) or unreadable (400).
 */
export function bodyErrorHandler(): (err: unknown, req: Request, res: Response, next: NextFunction) => void {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!err) return next();
    const e = err as { status?: number; type?: string; message?: string; bodyLimit?: BodyLimitHit };
    if (e.type === 'entity.too.large') {
      const { limit, tooLarge } = e.bodyLimit ?? { limit: DEFAULT_BODY_LIMIT };
      if (tooLarge) return tooLarge(req, res, limit);
      return sendProblem(
        req,
        res,
        new Problem(
          'payload-too-large',
          'The request body is too large',
          413,
          `The request body is larger than this route's limit of ${limit}: send smaller batches or smaller photos`,
          [{ field: '(body)', message: `larger than ${limit}` }],
        ),
      );
    }
    const status = typeof e.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 400;
    const problem = toProblem(
      Problem.badRequest(`The request body is not valid JSON: ${e.message ?? 'parse error'}`, [
        { field: '(body)', message: e.message ?? 'unreadable' },
      ]),
      req.originalUrl,
    );
    res
      .status(status)
      .type('application/problem+json')
      .send(JSON.stringify({ ...problem, status }));
  };
}
