import type { Type } from '@nestjs/common';
import { ZktecoController } from './zkteco/zkteco.controller';
import { HikvisionController } from './hikvision/hikvision.controller';
import { SiteAgentController } from '../site-agent/site-agent.controller';
import { HttpV2Controller } from './httpv2/httpv2.controller';
import { UfaceController } from './uface/uface.controller';

/**
 * The controllers of every device family adapter. Each adapter lives in its own folder
 * (`zkteco/`, `hikvision/`, `uface/`, `httpv2/`) and adds its controller(s) here, one line each.
 */
export const FAMILY_CONTROLLERS: Type<unknown>[] = [
  ZktecoController,
  HikvisionController,
  SiteAgentController,
  UfaceController,
  HttpV2Controller,
];
