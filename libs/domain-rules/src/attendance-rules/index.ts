export * from './schema';
export { AttendanceRulesError } from './problems';
export type { RuleProblem } from './problems';
export * from './calendar';
export * from './profiles';
