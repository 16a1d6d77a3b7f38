export {
  CATALOGUE as UPLOAD_PROBLEM_CATALOGUE,
  PLACES as UPLOAD_CORRECTION_PLACES,
  fillTemplate as fillUploadMessage,
  placeholdersOf as uploadMessagePlaceholders,
  type Bilingual,
  type CatalogueEntry as UploadCatalogueEntry,
  type LocalProblemCode as LocalUploadProblemCode,
  type MessageParams as UploadMessageParams,
  type UploadProblemCode,
} from './catalogue';
export * from './records';
export { imageFormatOf, inspectBase64, type ImageFormat, type InspectedBase64 } from './image';
export {
  judgeImage,
  LIMITS as UPLOAD_LIMITS,
  PROTOCOL_VALUES,
  type ImageVerdict,
  type ProtocolValueSet,
  type UploadProblem,
} from './field-rules';
export * from './checks';
export {
  explainPlatformRejection,
  MESSAGE_PATTERNS as PLATFORM_MESSAGE_PATTERNS,
  PLATFORM_CODES,
} from './platform';
