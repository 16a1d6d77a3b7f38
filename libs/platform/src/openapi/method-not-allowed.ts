import type { OpenAPIObject } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface DocumentedPath {
  pattern: RegExp;
  allow: string;
}

/** The documented paths of an OpenAPI document as patterns (`{id}` is one path segment), with their methods. */
export function documentedPaths(doc: Pick<OpenAPIObject, 'paths'>): DocumentedPath[] {
  return Object.entries(doc.paths).map(([path, item]) => {
    const methods = METHODS.filter((m) => (item as Record<string, unknown>)[m]).map((m) => m.toUpperCase());
    if (methods.includes('GET')) methods.push('HEAD');
    const source = path
      .split(/\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]+');
    return { pattern: new RegExp(`^${source}/?$`), allow: methods.join(', ') };
  });
}

/**
 * Answers a method the document does not list for a documented path with 405 and `Allow` (RFC 9110),
 * rather than the router's 404 that reads as "no such resource". HEAD and OPTIONS are left to the
 * HTTP framework. `document` is read on each request, so the middleware can be mounted before the
 * document is built.
 */
export function methodNotAllowed(
  document: () => Pick<OpenAPIObject, 'paths'> | undefined,
  send: (req: Request, res: Response, allow: string) => void,
): (req: Request, res: Response, next: NextFunction) => void {
  let paths: DocumentedPath[] | undefined;
  return (req, res, next) => {
    if (req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const doc = document();
    if (!doc) return next();
    paths ??= documentedPaths(doc);
    // A path may match several templates (`/devices/{id}` and `/devices/registrations`): any one
    // that lists the method lets the request through to the router.
    const matches = paths.filter((p) => p.pattern.test(req.path));
    if (!matches.length) return next();
    const methods = [...new Set(matches.flatMap((m) => m.allow.split(', ')))];
    if (methods.includes(req.method)) return next();
    const allow = methods.join(', ');
    res.setHeader('Allow', allow);
    send(req, res, allow);
  };
}
