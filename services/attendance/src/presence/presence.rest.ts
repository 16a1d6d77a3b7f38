import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AttendanceApi } from '@realname/contracts';
import {
  ApiAnswers,
  ApiParamsFrom,
  ApiQueryFrom,
  Caller,
  CurrentCaller,
  GUARDED_READ_ANSWERS,
  RequireRoles,
  ResourceServerGuard,
  Role,
} from '@realname/platform';
import { PUNCH_READERS } from '../punches/punches.rest';
import { presenceRest } from './presence-errors';
import { PresenceQueries } from './presence-queries';

/**
 * Who may read a project's key-personnel presence and absences: the punch readers; an enterprise user
 * sees only the key posts of its own units and its own workers.
 */
export const PRESENCE_READERS: Role[] = PUNCH_READERS;
/** Who may read a region's: the punch readers but enterprise users (a unit is no region). */
export const REGION_PRESENCE_READERS: Role[] = PUNCH_READERS.filter((r) => r !== 'enterprise-user');

const REGION_EXAMPLE = { region: ['330100', '330106'] };
const PERIOD_EXAMPLE = { from: '2026-11-01', to: '2026-11-30' };
const ABSENCE_EXAMPLE = { asOf: '2026-11-20' };
const REGION_403 =
  'The role may not read regions, or the scope is an enterprise (an enterprise reads its projects)';

/** Every answer is limited to the caller's scope by the queries; the scope comes from the token only. */
@ApiTags('key-personnel presence')
@ApiBearerAuth()
@Controller('api/v1')
@UseGuards(ResourceServerGuard)
export class PresenceController {
  constructor(private readonly presence: PresenceQueries) {}

  @Get('projects/:projectId/key-personnel/presence')
  @ApiOperation({
    operationId: 'projectKeyPersonnelPresence',
    summary:
      "Presence (到岗率) of the project's key persons over a period (at most 366 days): working days of the " +
      'regional calendar from the post taken (and while entered), days present, approved leave, the rate ' +
      "and whether it is below the region's minimum",
  })
  @ApiParamsFrom(AttendanceApi.ProjectPathParams, AttendanceApi.PROJECT_EXAMPLE)
  @ApiQueryFrom(AttendanceApi.PresencePeriodQuery, PERIOD_EXAMPLE)
  @ApiAnswers({
    200: {
      schema: AttendanceApi.ProjectKeyPersonnelPresence,
      example: AttendanceApi.PROJECT_PRESENCE_EXAMPLE,
    },
    400: true,
    404: true,
    ...GUARDED_READ_ANSWERS,
  })
  @RequireRoles(...PRESENCE_READERS)
  projectPresence(
    @CurrentCaller() caller: Caller,
    @Param('projectId') projectId: string,
    @Query('from') from: string,
    @Query('to') to: string,
  ): Promise<AttendanceApi.ProjectKeyPersonnelPresence> {
    return presenceRest(() => this.presence.projectPresence({ projectId, from, to }, caller.scope));
  }

  @Get('regions/:region/key-personnel/presence')
  @ApiOperation({
    operationId: 'regionKeyPersonnelPresence',
    summary:
      'Presence (到岗率) of the key persons of every project of a region (province, city or county within ' +
      'your scope; otherwise 404) over a period, projects without a key person left out',
  })
  @ApiParamsFrom(AttendanceApi.RegionPathParams, REGION_EXAMPLE)
  @ApiQueryFrom(AttendanceApi.PresencePeriodQuery, PERIOD_EXAMPLE)
  @ApiAnswers({
    200: { schema: AttendanceApi.RegionKeyPersonnelPresence, example: AttendanceApi.REGION_PRESENCE_EXAMPLE },
    400: true,
    404: true,
    ...GUARDED_READ_ANSWERS,
    403: REGION_403,
  })
  @RequireRoles(...REGION_PRESENCE_READERS)
  regionPresence(
    @CurrentCaller() caller: Caller,
    @Param('region') region: string,
    @Query('from') from: string,
    @Query('to') to: string,
  ): Promise<AttendanceApi.RegionKeyPersonnelPresence> {
    return presenceRest(() => this.presence.regionPresence({ region, from, to }, caller.scope));
  }

  @Get('projects/:projectId/absences')
  @ApiOperation({
    operationId: 'projectAbsences',
    summary:
      'Entered workers of the project whose streak of working days without presence up to asOf reaches ' +
      "minDays (the region profile's when not given), longest first",
  })
  @ApiParamsFrom(AttendanceApi.ProjectPathParams, AttendanceApi.PROJECT_EXAMPLE)
  @ApiQueryFrom(AttendanceApi.AbsenceQuery, ABSENCE_EXAMPLE)
  @ApiAnswers({
    200: { schema: AttendanceApi.ProjectAbsences, example: AttendanceApi.PROJECT_ABSENCES_EXAMPLE },
    400: true,
    404: true,
    ...GUARDED_READ_ANSWERS,
  })
  @RequireRoles(...PRESENCE_READERS)
  projectAbsences(
    @CurrentCaller() caller: Caller,
    @Param('projectId') projectId: string,
    @Query('asOf') asOf: string,
    @Query('minDays') minDays?: string,
  ): Promise<AttendanceApi.ProjectAbsences> {
    return presenceRest(() => this.presence.projectAbsences({ projectId, asOf, minDays }, caller.scope));
  }

  @Get('regions/:region/absences')
  @ApiOperation({
    operationId: 'regionAbsences',
    summary:
      'Entered workers of every project of a region (within your scope; otherwise 404) whose streak of ' +
      'working days without presence up to asOf reaches minDays, projects without one left out',
  })
  @ApiParamsFrom(AttendanceApi.RegionPathParams, REGION_EXAMPLE)
  @ApiQueryFrom(AttendanceApi.AbsenceQuery, ABSENCE_EXAMPLE)
  @ApiAnswers({
    200: { schema: AttendanceApi.RegionAbsences, example: AttendanceApi.REGION_ABSENCES_EXAMPLE },
    400: true,
    404: true,
    ...GUARDED_READ_ANSWERS,
    403: REGION_403,
  })
  @RequireRoles(...REGION_PRESENCE_READERS)
  regionAbsences(
    @CurrentCaller() caller: Caller,
    @Param('region') region: string,
    @Query('asOf') asOf: string,
    @Query('minDays') minDays?: string,
  ): Promise<AttendanceApi.RegionAbsences> {
    return presenceRest(() => this.presence.regionAbsences({ region, asOf, minDays }, caller.scope));
  }
}
