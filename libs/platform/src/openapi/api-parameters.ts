import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiParam, ApiQuery } from '@nestjs/swagger';
import { z, ZodTypeAny } from 'zod';
import { openApiSchemaOf } from './zod-json-schema';

type Examples<T extends z.ZodRawShape> = Partial<Record<keyof T & string, unknown>>;

/** The parameter's own schema: whether it may be left out is the parameter's `required`, not its schema's. */
function present(type: ZodTypeAny): ZodTypeAny {
  let t = type;
  while (t instanceof z.ZodOptional || t instanceof z.ZodDefault) t = t._def.innerType as ZodTypeAny;
  return t;
}

function parameterSchema(type: ZodTypeAny, example: unknown) {
  const schema = openApiSchemaOf(present(type));
  // The parameter's description is enough; examples go on the schema too, where generators look.
  delete schema.description;
  return example === undefined ? schema : { ...schema, example };
}

/**
 * Declares the query parameters of a route from the zod object that parses them: each key with its
 * real constraints (pattern, format, bounds, enum), required unless optional, its `.describe()` text
 * as description, and an example when given.
 */
export function ApiQueryFrom<T extends z.ZodRawShape>(
  query: z.ZodObject<T>,
  examples: Examples<T> = {},
): MethodDecorator {
  return applyDecorators(
    ...Object.entries(query.shape).map(([name, field]) => {
      const type = field as ZodTypeAny;
      return ApiQuery({
        name,
        required: !type.isOptional(),
        description: type.description ?? present(type).description,
        schema: parameterSchema(type, examples[name]),
        ...(examples[name] === undefined ? {} : { example: examples[name] }),
      });
    }),
  );
}

/**
 * Declares the path parameters of a route from a zod object, as {@link ApiQueryFrom} the query; a list
 * of examples gives several (each one is tried by generators that use examples).
 */
export function ApiParamsFrom<T extends z.ZodRawShape>(
  params: z.ZodObject<T>,
  examples: Examples<T> = {},
): MethodDecorator {
  return applyDecorators(
    ...Object.entries(params.shape).map(([name, field]) => {
      const type = field as ZodTypeAny;
      const example = examples[name];
      if (Array.isArray(example))
        return ApiParam({
          name,
          required: true,
          description: type.description ?? present(type).description,
          schema: parameterSchema(type, undefined),
          examples: Object.fromEntries(example.map((value, i) => [`example-${i + 1}`, { value }])),
        });
      return ApiParam({
        name,
        required: true,
        description: type.description ?? present(type).description,
        schema: parameterSchema(type, example),
        ...(example === undefined ? {} : { example }),
      });
    }),
  );
}

/**
 * Declares a JSON request body from the zod schema the handler parses it with (its constraints, its
 * description), with an example; `required: false` for a body that may be left out.
 */
export function ApiBodyFrom(
  schema: ZodTypeAny,
  opts: { example?: unknown; required?: boolean } = {},
): MethodDecorator {
  const json = openApiSchemaOf(schema);
  return ApiBody({
    required: opts.required ?? true,
    description: schema.description,
    schema: opts.example === undefined ? json : { ...json, example: opts.example },
  });
}
