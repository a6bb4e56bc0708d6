export { KeyhavenClient, type CheckoutResult, type FetchLike, type KeyhavenClientOptions } from './client.js';
export { canonicalLicenseKey, loadPublicKey, signingString, type PublicKeyInput } from './crypto.js';
export {
  KeyhavenError,
  KeyhavenSdkError,
  LicenseFileError,
  NetworkError,
  ReplayError,
  SignatureError,
  UpdateVerificationError,
  type LicenseFileErrorCode,
  type SignatureFailure,
  type UpdateVerificationFailure,
} from './errors.js';
export { verifyUpdateBundle } from './update-bundle.js';
export { Seat, type SeatOptions } from './seat.js';
export { ACTIVATION_REQUEST_LABEL, createActivationRequest, type ActivationRequestInput } from './activation-request.js';
export {
  DEFAULT_CACHE_CLOCK_TOLERANCE_MS,
  OfflineGraceError,
  type CachedValidationResult,
  type OfflineGraceFailure,
  type ValidationCacheOptions,
} from './validation-cache.js';
export { machineFingerprint, rawMachineId, type MachineFingerprintOptions, type MachineIdSource } from './fingerprint.js';
export {
  DEFAULT_CLOCK_TOLERANCE_MS,
  LICENSE_FILE_LABEL,
  parseLicenseFile,
  readLicenseFile,
  verifyLicenseFile,
  type LicenseFileEnvelope,
  type LicenseFilePayload,
  type VerifyLicenseFileOptions,
} from './license-file.js';
export type * from './types.js';
