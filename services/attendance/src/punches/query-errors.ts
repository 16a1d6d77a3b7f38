import { HttpStatus } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { Problem } from '@realname/platform';
import { InvalidQuery, ProjectNotFound, ScopeNotServed } from './punch-queries';

/**
 * Maps a bad query to a 400 problem (REST) or INVALID_ARGUMENT (gRPC), a project outside the caller's
 * scope (or unknown) to 404 / NOT_FOUND, a scope the question cannot be answered for to 403 /
 * PERMISSION_DENIED; anything else is rethrown.
 */
export async function restQuery<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InvalidQuery)
      throw Problem.badRequest(err.message, [{ field: err.field, message: err.message }]);
    if (err instanceof ProjectNotFound) throw Problem.notFound(err.message);
    if (err instanceof ScopeNotServed)
      throw new Problem('forbidden', 'Forbidden', HttpStatus.FORBIDDEN, err.message);
    throw err;
  }
}

export async function grpcQuery<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InvalidQuery)
      throw new RpcException({ code: status.INVALID_ARGUMENT, message: `${err.field}: ${err.message}` });
    if (err instanceof ProjectNotFound)
      throw new RpcException({ code: status.NOT_FOUND, message: err.message });
    if (err instanceof ScopeNotServed)
      throw new RpcException({ code: status.PERMISSION_DENIED, message: err.message });
    throw new RpcException({ code: status.INTERNAL, message: 'the attendance service failed; retry later' });
  }
}
