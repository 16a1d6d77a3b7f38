import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import type { JsonLogger } from '@realname/platform';
import { OutOfScope } from './access/out-of-scope';
import { InvalidRequest, NotFound } from './workers/worker-queries';

/**
 * Answers a realname.registry.v1.RegistryService call: refusals (out of scope: PERMISSION_DENIED) become gRPC status codes with a plain
 * message; anything unexpected is logged (the error's message and stack, never the request) and
 * answered INTERNAL.
 */
export async function answerGrpc<T>(logger: JsonLogger, method: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RpcException) throw err;
    if (err instanceof InvalidRequest)
      throw new RpcException({ code: status.INVALID_ARGUMENT, message: err.message });
    if (err instanceof NotFound) throw new RpcException({ code: status.NOT_FOUND, message: err.message });
    if (err instanceof OutOfScope)
      throw new RpcException({ code: status.PERMISSION_DENIED, message: err.message });
    logger.event('error', 'gRPC call failed', {
      method,
      error: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
    throw new RpcException({
      code: status.INTERNAL,
      message: 'the worker registry failed to answer; retry later',
    });
  }
}
