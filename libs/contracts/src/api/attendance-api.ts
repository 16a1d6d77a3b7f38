// The attendance REST API's contract: its parameters, answers and examples (AttendanceApi).
export * from './attendance';
export * from './attendance-examples';
