import type { Response } from 'express';
import { StreamableFile } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { AttendanceApi } from '@realname/contracts';
import { openApiSchemaOf, Problem } from '@realname/platform';
import type { z, ZodTypeAny } from 'zod';
import { restQuery } from '../punches/query-errors';
import { parseInput } from '../rest-input';
import { contentDisposition, CSV_TYPE, type ExportTable, toCsv, toXlsx, XLSX_TYPE } from './sheet-export';

/** Something the caller's scope does not show (or that does not exist): one 404 for both. */
export class NotInScope extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotInScope';
  }
}

/** Input refused before anything was stored: 400 naming each field (a file's row and column). */
export class InputRefused extends Error {
  constructor(
    message: string,
    readonly errors: { field: string; message: string }[],
  ) {
    super(message);
    this.name = 'InputRefused';
  }
}

/** Maps the errors of sheet and payroll requests to problem details (over restQuery's); anything else is rethrown. */
export async function sheetRequest<T>(fn: () => Promise<T>): Promise<T> {
  return restQuery(async () => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof InputRefused) throw Problem.badRequest(err.message, err.errors);
      if (err instanceof NotInScope) throw Problem.notFound(err.message);
      throw err;
    }
  });
}

/** Parses path or query parameters as documented, or answers 400 naming each one. */
export function parseParams<T extends z.ZodTypeAny>(schema: T, values: unknown): z.infer<T> {
  return parseInput(schema, values, 'parameter');
}

/** Parses a request body, or answers 400 naming each field that is wrong. */
export function parseBody<T extends z.ZodTypeAny>(schema: T, body: unknown, what: string): z.infer<T> {
  return parseInput(schema, body, what);
}

/** The format asked for: `?format=` first, then the Accept header, else JSON. */
export function formatOf(format: AttendanceApi.SheetFormat | undefined, accept: string | undefined) {
  if (format) return format;
  const a = (accept ?? '').toLowerCase();
  if (a.includes(XLSX_TYPE)) return 'xlsx';
  if (a.includes('text/csv')) return 'csv';
  return 'json';
}

/** Sends a table as a CSV or XLSX download named `<base>.<ext>` (the UTF-8 name in Chinese). */
export async function download(
  res: Response,
  table: ExportTable,
  format: 'csv' | 'xlsx',
  names: { ascii: string; utf8: string },
): Promise<StreamableFile> {
  const body = format === 'csv' ? toCsv(table) : await toXlsx(table);
  res.setHeader('Content-Type', format === 'csv' ? CSV_TYPE : XLSX_TYPE);
  res.setHeader(
    'Content-Disposition',
    contentDisposition(`${names.ascii}.${format}`, `${names.utf8}.${format}`),
  );
  return new StreamableFile(body);
}

/** The 200 answer of a sheet: the JSON document, or the same sheet as CSV or XLSX when asked. */
export function ApiSheetAnswer(schema: ZodTypeAny, description: string): MethodDecorator {
  return ApiResponse({
    status: 200,
    description,
    content: {
      'application/json': { schema: openApiSchemaOf(schema) },
      'text/csv': { schema: { type: 'string', description: 'UTF-8 with a byte order mark, CRLF line ends' } },
      [XLSX_TYPE]: { schema: { type: 'string', format: 'binary' } },
    },
  });
}
