import { Controller } from '@nestjs/common';
import { attendanceV1 } from '@realname/proto';
import { PunchQueries, PunchView } from '../punches/punch-queries';
import { grpcQuery } from './query-errors';

const DIRECTIONS: Record<PunchView['direction'], attendanceV1.Direction> = {
  in: attendanceV1.Direction.DIRECTION_IN,
  out: attendanceV1.Direction.DIRECTION_OUT,
  unknown: attendanceV1.Direction.DIRECTION_UNSPECIFIED,
};

/** realname.attendance.v1.AttendanceService over gRPC; same answers as the REST API. */
@Controller()
@attendanceV1.AttendanceServiceControllerMethods()
export class AttendanceGrpcController implements attendanceV1.AttendanceServiceController {
  constructor(private readonly punches: PunchQueries) {}

  async listPunches(req: attendanceV1.ListPunchesRequest): Promise<attendanceV1.ListPunchesResponse> {
    const page = await grpcQuery(() =>
      this.punches.listPunches({
        projectId: req.projectId,
        day: req.day,
        personId: req.personId,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      }),
    );
    return {
      punches: page.punches.map((p) => ({ ...p, direction: DIRECTIONS[p.direction] })),
      nextPageToken: page.nextPageToken,
      totalCount: String(page.totalCount),
    };
  }

  async countPunchesPerDay(
    req: attendanceV1.CountPunchesPerDayRequest,
  ): Promise<attendanceV1.CountPunchesPerDayResponse> {
    const days = await grpcQuery(() =>
      this.punches.countPerDay({ projectId: req.projectId, fromDay: req.fromDay, toDay: req.toDay }),
    );
    return {
      days: days.map((d) => ({ day: d.day, punches: String(d.punches), persons: String(d.persons) })),
    };
  }
}
