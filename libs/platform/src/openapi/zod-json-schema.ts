import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { ZodTypeAny } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';

/**
 * The OpenAPI 3.0 schema of a zod schema, inlined (no `$ref`s: each operation's document stands alone),
 * so the document and the code that parses or produces the value share one definition.
 */
export function openApiSchemaOf(schema: ZodTypeAny): SchemaObject {
  // Typed loosely: the converter's generic signature is too deep for the compiler over ZodTypeAny.
  const convert = zodToJsonSchema as (s: unknown, o: object) => Record<string, unknown>;
  const json = convert(schema, { target: 'openApi3', $refStrategy: 'none' });
  delete json.$schema;
  return json as SchemaObject;
}
