import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { Problem } from '@realname/platform';
import { InvalidQuery, ProjectNotFound, ScopeNotServed } from '../punches/punch-queries';
import { restQuery } from '../punches/query-errors';
import { RegionNotFound } from './presence-queries';

/** As the punch reads answer (400, 403, 404), and a region outside the scope as 404 like a project. */
export function presenceRest<T>(fn: () => Promise<T>): Promise<T> {
  return restQuery(async () => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RegionNotFound) throw Problem.notFound(err.message);
      throw err;
    }
  });
}

/**
 * As the punch reads answer over gRPC (INVALID_ARGUMENT, PERMISSION_DENIED, NOT_FOUND, otherwise
 * INTERNAL without details), and a region outside the scope as NOT_FOUND.
 */
export async function presenceGrpc<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InvalidQuery)
      throw new RpcException({ code: status.INVALID_ARGUMENT, message: `${err.field}: ${err.message}` });
    if (err instanceof ProjectNotFound || err instanceof RegionNotFound)
      throw new RpcException({ code: status.NOT_FOUND, message: err.message });
    if (err instanceof ScopeNotServed)
      throw new RpcException({ code: status.PERMISSION_DENIED, message: err.message });
    throw new RpcException({ code: status.INTERNAL, message: 'the attendance service failed; retry later' });
  }
}
