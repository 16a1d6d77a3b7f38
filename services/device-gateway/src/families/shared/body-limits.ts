import { HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import { OPEN_V1_LIMITS, openV1Code } from '@realname/contracts';
import { BodyLimit, Problem, toProblem } from '@realname/platform';
import { hidden, HIKVISION_PREFIX, responseStatus } from '../hikvision/hikvision.controller';
import { HttpV2ErrorCode, v2Error } from '../httpv2/httpv2-messages';
import { HTTPV2_PREFIX } from '../httpv2/httpv2.controller';
import { ufaceError } from '../uface/uface-messages';
import { UFACE_PREFIX } from '../uface/uface.controller';
import { errorReply } from '../zkteco/replies';
import { deviceTextContentType, encodeDeviceText, httpDate } from '../zkteco/zkteco-text';
import { OPEN_PROTOCOL_PREFIX } from '../../open-protocol/open-protocol.controller';
import { sendJson } from './device-request';

const tooLargeText = (limit: string) =>
  `the request body is larger than the limit of ${limit}: send smaller batches`;

/**
 * Body size limits of the device routes (and what each family answers over them, with 413), chosen
 * from what each family sends at most (docs/device-families.md, "Body size limits"):
 *
 * - open-v1: 10 MB, as published in the protocol (OPEN_V1_LIMITS.maxBodyBytes: 20 photos of 200 KiB in
 *   base64 is about 5.4 MB); problem details with `code` `open-v1/payload-too-large`;
 * - ZKTeco `/iclock`: 1 MB (ATTLOG backlog batches, ATTPHOTO uploads of several JPEGs); text `ERROR:`;
 * - Hikvision `/isapi`: 2 MB (one event in multipart with its `Picture`); ISAPI ResponseStatus;
 * - Uface `/uface`: 1 MB (one recognition with its base64 photo); `{result:0, success:false}`;
 * - HTTPv2 `/httpv2`: 512 KB (one record, its `Photo` at most 50 KB); ErrorCode 1001 (malformed);
 * - site agent `/agent`: 2 MB (up to 1000 records of a backfill page, no photos); problem details.
 */
export const DEVICE_BODY_LIMITS: BodyLimit[] = [
  {
    path: OPEN_PROTOCOL_PREFIX,
    limit: `${OPEN_V1_LIMITS.maxBodyBytes / (1024 * 1024)}mb`,
    tooLarge: (req: Request, res: Response, limit: string) => {
      const problem = toProblem(
        new Problem(
          'payload-too-large',
          'The request body is too large',
          HttpStatus.PAYLOAD_TOO_LARGE,
          `The body is larger than ${limit}: halve the batch and resend`,
          [{ field: '(body)', message: `larger than ${limit}` }],
        ),
        req.originalUrl,
      );
      res
        .status(HttpStatus.PAYLOAD_TOO_LARGE)
        .type('application/problem+json')
        .send(JSON.stringify({ ...problem, code: openV1Code('payload-too-large') }));
    },
  },
  {
    path: '/iclock',
    limit: '1mb',
    tooLarge: (_req: Request, res: Response, limit: string) => {
      res.status(HttpStatus.PAYLOAD_TOO_LARGE);
      res.setHeader('Date', httpDate(new Date()));
      res.setHeader('Content-Type', deviceTextContentType());
      res.setHeader('Cache-Control', 'no-store');
      res.end(encodeDeviceText(errorReply(tooLargeText(limit))));
    },
  },
  {
    path: HIKVISION_PREFIX,
    limit: '2mb',
    tooLarge: (req: Request, res: Response, limit: string) =>
      sendJson(
        res,
        HttpStatus.PAYLOAD_TOO_LARGE,
        responseStatus(hidden(req.originalUrl), 'badParameters', tooLargeText(limit)),
      ),
  },
  {
    path: UFACE_PREFIX,
    limit: '1mb',
    tooLarge: (_req: Request, res: Response, limit: string) =>
      sendJson(res, HttpStatus.PAYLOAD_TOO_LARGE, ufaceError(tooLargeText(limit))),
  },
  {
    path: HTTPV2_PREFIX,
    limit: '512kb',
    tooLarge: (_req: Request, res: Response, limit: string) =>
      sendJson(res, HttpStatus.PAYLOAD_TOO_LARGE, v2Error(HttpV2ErrorCode.malformed, tooLargeText(limit))),
  },
  { path: '/agent', limit: '2mb' },
];
