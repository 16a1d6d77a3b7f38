import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { Problem } from '@realname/platform';
import { InvalidQuery } from './punch-queries';

/** Maps a bad query to a 400 problem (REST) or INVALID_ARGUMENT (gRPC); anything else is rethrown. */
export async function restQuery<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InvalidQuery)
      throw Problem.badRequest(err.message, [{ field: err.field, message: err.message }]);
    throw err;
  }
}

export async function grpcQuery<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InvalidQuery)
      throw new RpcException({ code: status.INVALID_ARGUMENT, message: `${err.field}: ${err.message}` });
    throw new RpcException({ code: status.INTERNAL, message: 'the attendance service failed; retry later' });
  }
}
