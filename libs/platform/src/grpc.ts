import type { GrpcOptions } from '@nestjs/microservices';
import { Transport } from '@nestjs/microservices';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, ServingStatus } from 'grpc-health-check';

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
}

/**
 * Options for a Nest gRPC microservice that also serves the standard health-checking protocol
 * (grpc.health.v1) and server reflection. 64-bit integers are decoded as strings, never lossy numbers.
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
