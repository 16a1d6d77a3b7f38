import { applyDecorators } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import type { ZodTypeAny } from 'zod';
import { RegistryApi } from '@realname/contracts';
import { GUARDED_READ_ANSWERS, openApiSchemaOf } from '@realname/platform';

/** The registry's REST contracts (libs/contracts/src/api/registry.ts). */
export { RegistryApi };

/** The answers of a write behind the resource-server guard, besides its own (a body too large: 413). */
export const GUARDED_WRITE_ANSWERS = { ...GUARDED_READ_ANSWERS, 400: true, 413: true } as const;

/** Declares a JSON request body from the zod schema the handler parses it with. */
export function ApiBodyFrom(schema: ZodTypeAny, example?: unknown): MethodDecorator {
  return applyDecorators(
    ApiBody({
      required: true,
      description: schema.description,
      schema: example === undefined ? openApiSchemaOf(schema) : { ...openApiSchemaOf(schema), example },
    }),
  );
}
