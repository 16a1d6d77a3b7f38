import { Controller, UseGuards } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { ReportingApi } from '@realname/contracts';
import { callerOf, CallerScope, RequireRoles, ResourceServerGuard } from '@realname/platform';
import { reportingDeadlinesV1 } from '@realname/proto';
import { DeadlineBoardQueries } from './deadline-board';
import { boardGrpc } from './deadline-board-errors';
import { DEADLINE_BOARD_READERS } from './deadline-board.rest';

const STATE: Record<ReportingApi.DeadlineState, reportingDeadlinesV1.DeadlineState> = {
  'on-track': reportingDeadlinesV1.DeadlineState.DEADLINE_STATE_ON_TRACK,
  'at-risk': reportingDeadlinesV1.DeadlineState.DEADLINE_STATE_AT_RISK,
  missed: reportingDeadlinesV1.DeadlineState.DEADLINE_STATE_MISSED,
  met: reportingDeadlinesV1.DeadlineState.DEADLINE_STATE_MET,
};

export function toGrpcBoard(b: ReportingApi.DeadlineBoard): reportingDeadlinesV1.GetDeadlineBoardResponse {
  return {
    region: b.region,
    day: b.day,
    asOf: b.asOf,
    projects: b.projects.map((p) => ({
      projectId: p.projectId,
      projectName: p.projectName ?? '',
      region: p.region,
      target: p.target,
      expected: p.expected,
      accepted: p.accepted,
      pending: p.pending,
      rejected: p.rejected,
      deadline: p.deadline,
      minutesLeft: p.minutesLeft,
      state: STATE[p.state],
      reason: p.reason,
    })),
  };
}

/**
 * realname.reporting.v1.ReportingDeadlineService over gRPC: the same answer, roles and scope as the REST
 * board. The RPC takes the caller from the metadata the guard checked and answers through `boardIn`.
 */
@Controller()
@UseGuards(ResourceServerGuard)
@reportingDeadlinesV1.ReportingDeadlineServiceControllerMethods()
export class DeadlineBoardGrpcController implements reportingDeadlinesV1.ReportingDeadlineServiceController {
  constructor(private readonly board: DeadlineBoardQueries) {}

  @RequireRoles(...DEADLINE_BOARD_READERS)
  getDeadlineBoard(
    req: reportingDeadlinesV1.GetDeadlineBoardRequest,
    metadata?: Metadata,
  ): Promise<reportingDeadlinesV1.GetDeadlineBoardResponse> {
    return this.boardIn(callerOf(metadata!).scope, req);
  }

  /** GetDeadlineBoard within a scope (not an RPC itself: the RPC's scope is the token's). */
  async boardIn(
    scope: CallerScope,
    req: reportingDeadlinesV1.GetDeadlineBoardRequest,
  ): Promise<reportingDeadlinesV1.GetDeadlineBoardResponse> {
    return toGrpcBoard(await boardGrpc(() => this.board.board({ region: req.region, day: req.day }, scope)));
  }
}
