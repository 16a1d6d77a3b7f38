import type { GrpcOptions } from '@nestjs/microservices';
import { Transport } from '@nestjs/microservices';
import { ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, ServingStatus } from 'grpc-health-check';
import type { GrpcServerTls } from './transport-security';

export interface GrpcServerSpec {
  /** host:port to listen on. */
  url: string;
  /** Protobuf packages served, e.g. `realname.attendance.v1`. */
  packages: string[];
  /** Absolute paths of the .proto files defining them. */
  protoPaths: string[];
  /** Root for imports between .proto files. */
  includeDir: string;
  /** Fully qualified service names to report in the health service (`''` = the whole server). */
  services: string[];
  /** TLS (and mutual TLS with `clientCa`); absent: plain text, the local default. */
  tls?: GrpcServerTls;
}

/** The server's credentials: TLS when configured (client certificates required with a client CA). */
export function grpcServerCredentials(tls: GrpcServerTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.clientCa ?? null,
    [{ cert_chain: tls.cert, private_key: tls.key }],
    Boolean(tls.clientCa),
  );
}

/** Default deadline of a gRPC call the platform makes (every call gets one: no call waits for ever). */
export const GRPC_CALL_DEADLINE_MS = 10_000;

/** A deadline `ms` from now, for a gRPC call's options (`{ deadline: grpcDeadline() }`). */
export function grpcDeadline(ms = GRPC_CALL_DEADLINE_MS): Date {
  return new Date(Date.now() + ms);
}

/**
 * Options for a Nest gRPC microservice that also serves the standard health-checking protocol
 * (grpc.health.v1) and server reflection. 64-bit integers are decoded as strings, never lossy numbers.
 * With `tls`, the server speaks only TLS (and asks every client for a certificate when a client CA is
 * given).
 */
export function grpcServerOptions(spec: GrpcServerSpec): {
  options: GrpcOptions;
  health: HealthImplementation;
} {
  const statuses: Record<string, ServingStatus> = { '': 'SERVING' };
  for (const s of spec.services) statuses[s] = 'SERVING';
  const health = new HealthImplementation(statuses);
  return {
    health,
    options: {
      transport: Transport.GRPC,
      options: {
        url: spec.url,
        credentials: grpcServerCredentials(spec.tls),
        package: spec.packages,
        protoPath: spec.protoPaths,
        loader: {
          includeDirs: [spec.includeDir],
          keepCase: false,
          longs: String,
          defaults: true,
          oneofs: true,
        },
        onLoadPackageDefinition: (pkg, server) => {
          new ReflectionService(pkg).addToServer(server);
          health.addToServer(server as Parameters<HealthImplementation['addToServer']>[0]);
        },
      },
    },
  };
}
