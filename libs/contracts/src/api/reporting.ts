// The reporting REST API's contract: its parameters, answers and examples (ReportingApi).
export * from './reporting-uploads';
export * from './reporting-deadlines';
