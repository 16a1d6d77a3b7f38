import { HttpStatus } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { Problem } from '@realname/platform';
import { BoardRegionNotFound, BoardScopeNotServed, InvalidBoardQuery } from './deadline-board';

/** A bad parameter → 400 naming it, a region outside the scope → 404, an enterprise scope → 403. */
export async function boardRest<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InvalidBoardQuery)
      throw Problem.badRequest(err.message, [{ field: err.field, message: err.message }]);
    if (err instanceof BoardRegionNotFound) throw Problem.notFound(err.message);
    if (err instanceof BoardScopeNotServed)
      throw new Problem('forbidden', 'Forbidden', HttpStatus.FORBIDDEN, err.message);
    throw err;
  }
}

/** The same over gRPC: INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, otherwise INTERNAL without details. */
export async function boardGrpc<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InvalidBoardQuery)
      throw new RpcException({ code: status.INVALID_ARGUMENT, message: `${err.field}: ${err.message}` });
    if (err instanceof BoardRegionNotFound)
      throw new RpcException({ code: status.NOT_FOUND, message: err.message });
    if (err instanceof BoardScopeNotServed)
      throw new RpcException({ code: status.PERMISSION_DENIED, message: err.message });
    throw new RpcException({ code: status.INTERNAL, message: 'the reporting service failed; retry later' });
  }
}
