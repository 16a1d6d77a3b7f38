import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ReportingApi } from '@realname/contracts';
import {
  ApiAnswers,
  ApiParamsFrom,
  Caller,
  CurrentCaller,
  GUARDED_READ_ANSWERS,
  RequireRoles,
  ResourceServerGuard,
  Role,
} from '@realname/platform';
import { DeadlineBoardQueries } from './deadline-board';
import { boardRest } from './deadline-board-errors';

/**
 * Who may read a region's deadline board: the supervisors, the municipal systems, a project manager (its
 * own project) and platform operators (counts only, no personal data); an enterprise reads no region.
 */
export const DEADLINE_BOARD_READERS: Role[] = [
  'province-supervisor',
  'city-supervisor',
  'county-supervisor',
  'municipal-integrator',
  'project-manager',
  'platform-operator',
];

/** The answer is limited to the caller's scope by the queries; the scope comes from the token only. */
@ApiTags('upload deadlines')
@ApiBearerAuth()
@Controller('api/v1/reporting/deadlines')
@UseGuards(ResourceServerGuard)
export class DeadlineBoardController {
  constructor(private readonly board: DeadlineBoardQueries) {}

  @Get('regions/:region/days/:day')
  @ApiOperation({
    operationId: 'regionDeadlineBoard',
    summary:
      "The deadline board of a region (within your scope; otherwise 404) and day: per project and uplink target, the day's " +
      'attendance records expected, accepted, pending and rejected, the deadline (24:00 for Zhejiang), the minutes ' +
      'left and the state (on-track, at-risk, missed, met) with its reason',
  })
  @ApiParamsFrom(ReportingApi.DeadlineBoardParams, ReportingApi.DEADLINE_BOARD_PARAMS_EXAMPLE)
  @ApiAnswers({
    200: { schema: ReportingApi.DeadlineBoard, example: ReportingApi.DEADLINE_BOARD_EXAMPLE },
    400: true,
    404: true,
    ...GUARDED_READ_ANSWERS,
    403: 'The role may not read the board, or the scope is an enterprise (an enterprise reads its projects)',
  })
  @RequireRoles(...DEADLINE_BOARD_READERS)
  regionBoard(
    @CurrentCaller() caller: Caller,
    @Param('region') region: string,
    @Param('day') day: string,
  ): Promise<ReportingApi.DeadlineBoard> {
    return boardRest(() => this.board.board({ region, day }, caller.scope));
  }
}
