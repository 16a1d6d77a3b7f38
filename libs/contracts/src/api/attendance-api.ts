// The attendance REST API's contract: its parameters, answers and examples (AttendanceApi).
export * from './attendance';
export * from './attendance-examples';
export * from './attendance-payroll';
export * from './attendance-presence';
export * from './attendance-timesheets';
export * from './attendance-analytics';
