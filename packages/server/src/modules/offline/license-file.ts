/**
 * The license file and activation request formats (armour, envelope, payload, encryption) are defined once,
 * by the SDK that reads them: `@keyhaven/sdk/format` (zero dependencies). The server writes with them.
 */
export {
  ACTIVATION_REQUEST_LABEL,
  armor,
  dearmor,
  fileKey,
  LICENSE_FILE_LABEL,
  openPayload,
  sealPayload,
  type LicenseFileEnvelope,
  type LicenseFilePayload,
} from '@keyhaven/sdk/format';
