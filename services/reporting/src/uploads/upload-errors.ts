import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import type { z } from 'zod';
import { zodProblems } from '@realname/contracts';
import { classifyFailure, Problem } from '@realname/platform';

/** Nothing of that id within the caller's scope: one answer for out-of-scope and absent alike. */
export class UploadNotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadNotFound';
  }
}

/** Input refused before anything was read or stored, each field named. */
export class UploadInputRefused extends Error {
  constructor(
    message: string,
    readonly errors: { field: string; message: string }[],
  ) {
    super(message);
    this.name = 'UploadInputRefused';
  }
}

/** The record is not rejected (pending, sent, accepted, superseded): nothing to resubmit. */
export class RecordNotRejected extends Error {
  constructor(
    readonly recordId: string,
    readonly status: string,
  ) {
    super(
      `record ${recordId} is ${status}: only a rejected record (rejected or rejected-locally) is resubmitted, ` +
        'after its data was corrected',
    );
    this.name = 'RecordNotRejected';
  }
}

/** Parses path, query or body input as documented, or refuses it naming each field at fault. */
export function parseUploadInput<T extends z.ZodTypeAny>(
  schema: T,
  values: unknown,
  what: string,
): z.infer<T> {
  const r = schema.safeParse(values ?? {});
  if (!r.success) throw new UploadInputRefused(`The ${what} is not valid`, zodProblems(r.error));
  return r.data;
}

/** The upload errors as REST problem details (400, 404, 409); anything else is rethrown. */
export async function uploadRest<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UploadInputRefused) throw Problem.badRequest(err.message, err.errors);
    if (err instanceof UploadNotFound) throw Problem.notFound(err.message);
    if (err instanceof RecordNotRejected) throw Problem.conflict('conflict', err.message);
    throw err;
  }
}

/**
 * The same over gRPC: INVALID_ARGUMENT naming the fields, NOT_FOUND, FAILED_PRECONDITION (not
 * rejected), UNAVAILABLE when a dependency is briefly away, otherwise INTERNAL without details.
 */
export async function uploadGrpc<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UploadInputRefused)
      throw new RpcException({
        code: status.INVALID_ARGUMENT,
        message: err.errors.map((e) => `${e.field}: ${e.message}`).join('; ') || err.message,
      });
    if (err instanceof UploadNotFound)
      throw new RpcException({ code: status.NOT_FOUND, message: err.message });
    if (err instanceof RecordNotRejected)
      throw new RpcException({ code: status.FAILED_PRECONDITION, message: err.message });
    if (classifyFailure(err) === 'transient')
      throw new RpcException({
        code: status.UNAVAILABLE,
        message: 'reporting is briefly unavailable; retry',
      });
    throw new RpcException({ code: status.INTERNAL, message: 'the reporting service failed; retry later' });
  }
}
