import type { NewLedgerRecord } from '../ledger/ledger.repository';
import { entryExitRecord, participatingUnitRecord, projectWorkerRecord } from '../records/national-records';
import { factsNamedBy, RejectedRecord, resubmittedRecord, TargetShape } from './resubmission';

const P = '330106202401150001';
const NATIONAL: TargetShape = { nationalShaped: true, toLedger: (r) => r };
/** A target with its own field names: corpCode becomes unitCode. */
const OTHER: TargetShape = {
  nationalShaped: false,
  toLedger: (r): NewLedgerRecord => ({
    ...r,
    payload: {
      header: Object.fromEntries(
        Object.entries(r.payload.header).map(([k, v]) => [k === 'corpCode' ? 'unitCode' : k, v]),
      ),
      items: r.payload.items,
    },
  }),
};

const rejected = (r: NewLedgerRecord): RejectedRecord => ({
  kind: r.kind,
  recordKey: r.recordKey,
  projectId: r.projectId,
  region: r.region,
  dependsOn: r.dependsOn,
  payload: r.payload,
});

const enrolment = {
  enrolmentId: 'en-1',
  projectId: P,
  workerId: 'w-1',
  teamId: 'team-1',
  creditCode: '91330106MA2H4K7N15',
  corpName: '杭州旧名劳务有限公司',
};
const corrected = { ...enrolment, teamId: 'team-2', corpName: '杭州新名劳务有限公司' };

describe('a rejected record sent again after correction', () => {
  it('an entry is built again from the enrolment as it is now: unit, team dependency, region', () => {
    // Given an entry rejected when the enrolment named the old unit name and team
    const entry = rejected(entryExitRecord(enrolment, 'entry', '2026-11-20', '330106'));
    // When it is resubmitted after the registry corrected the enrolment and the project's region
    const next = resubmittedRecord(entry, { enrolment: corrected, region: '330105' }, NATIONAL);
    // Then it goes up with the corrected facts
    expect(next.rebuilt).toBe(true);
    expect(next.region).toBe('330105');
    expect(next.payload).toEqual({
      header: { projectCode: P, corpCode: enrolment.creditCode, corpName: '杭州新名劳务有限公司' },
      items: [{ date: '2026-11-20', type: 1 }],
    });
    expect(next.dependsOn).toEqual([`team:${P}/team-2`, `project-worker:${P}/en-1`]);
  });

  it("an exit for another target is built again in that target's field names", () => {
    const exit = rejected(OTHER.toLedger(entryExitRecord(enrolment, 'exit', '2026-11-21', '330106'))!);
    const next = resubmittedRecord(exit, { enrolment: corrected }, OTHER);
    expect(next.rebuilt).toBe(true);
    expect(next.payload.header).toEqual({
      projectCode: P,
      unitCode: enrolment.creditCode,
      corpName: '杭州新名劳务有限公司',
    });
    expect(next.payload.items).toEqual([{ date: '2026-11-21', type: 0 }]);
  });

  it("a unit takes the participant's current credit code and name, keeping its type and dates", () => {
    const unit = rejected(
      participatingUnitRecord(
        {
          projectId: P,
          participantId: 'pa-1',
          creditCode: '91330106MA2H4K7N1X',
          corpName: '错名',
          unitType: '009',
          entryDate: '2026-01-01',
        },
        '330106',
      ),
    );
    const participant = {
      projectId: P,
      participantId: 'pa-1',
      creditCode: '91330106MA2H4K7N15',
      corpName: '对名',
    };
    const next = resubmittedRecord(unit, { participant }, NATIONAL);
    expect(next.rebuilt).toBe(true);
    expect(next.payload.items).toEqual([
      { corpCode: '91330106MA2H4K7N15', corpName: '对名', corpType: '009', entryTime: '2026-01-01 00:00:00' },
    ]);
  });

  it("a worker takes the enrolment's current unit and team dependency, keeping the worker's fields", () => {
    const worker = rejected(
      projectWorkerRecord(
        {
          ...enrolment,
          name: '工人一',
          teamName: '钢筋班',
          workType: '010',
          workRole: '20',
          isTeamLeader: false,
        },
        '330106',
      ),
    );
    const next = resubmittedRecord(worker, { enrolment: corrected }, NATIONAL);
    expect(next.rebuilt).toBe(true);
    expect(next.payload.header).toMatchObject({ corpName: '杭州新名劳务有限公司', teamName: '钢筋班' });
    expect(next.payload.items).toEqual(worker.payload.items);
    expect(next.dependsOn).toEqual([`team:${P}/team-2`]);
  });

  it('a unit or worker of a target with its own field names goes as it was (the copies do not map them)', () => {
    const worker = rejected(
      projectWorkerRecord(
        {
          ...enrolment,
          name: '工人一',
          teamName: '钢筋班',
          workType: '010',
          workRole: '20',
          isTeamLeader: false,
        },
        '330106',
      ),
    );
    const next = resubmittedRecord(worker, { enrolment: corrected }, OTHER);
    expect(next).toEqual({
      payload: worker.payload,
      region: '330106',
      dependsOn: worker.dependsOn,
      rebuilt: false,
    });
  });

  it('attendance goes as it was, in the current region', () => {
    const day: RejectedRecord = {
      kind: 'attendance',
      recordKey: `${P}/en-1/2026-11-20`,
      projectId: P,
      region: '330106',
      dependsOn: [`team:${P}/team-1`],
      payload: { header: { projectCode: P }, items: [{ date: '2026-11-20 08:00:00', direction: '01' }] },
    };
    const next = resubmittedRecord(day, { enrolment: corrected, region: '330105' }, NATIONAL);
    expect(next).toEqual({
      payload: day.payload,
      region: '330105',
      dependsOn: day.dependsOn,
      rebuilt: false,
    });
  });

  it('without a current copy an entry goes as it was', () => {
    const entry = rejected(entryExitRecord(enrolment, 'entry', '2026-11-20', '330106'));
    expect(resubmittedRecord(entry, {}, NATIONAL).rebuilt).toBe(false);
  });

  it('names the copies a record key points at', () => {
    expect(factsNamedBy({ ...rejected(entryExitRecord(enrolment, 'exit', '2026-11-20', 'x')) })).toEqual({
      enrolmentId: 'en-1',
    });
    expect(
      factsNamedBy({ kind: 'participating-unit', recordKey: `${P}/pa-1`, projectId: P } as RejectedRecord),
    ).toEqual({ participantId: 'pa-1' });
    expect(factsNamedBy({ kind: 'team', recordKey: `${P}/team-1`, projectId: P } as RejectedRecord)).toEqual(
      {},
    );
    // A live punch's key names no enrolment fact reporting would rebuild from.
    expect(
      factsNamedBy({ kind: 'attendance', recordKey: `${P}/en-1/punch/e-1`, projectId: P } as RejectedRecord),
    ).toEqual({});
  });
});
