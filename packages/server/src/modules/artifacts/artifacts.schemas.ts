import Type from 'typebox';
import { Id, Nullable, NullableTimestamp, Page, StringEnum, Timestamp } from '../../http/schemas.js';
import { ARTIFACT_STATUSES } from './artifacts.repository.js';

const Token = (description: string) => Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z0-9][a-z0-9_.-]*$', description });
const Sha256 = Type.String({ pattern: '^[A-Fa-f0-9]{64}$', description: 'Hex SHA-256' });

export const ArtifactSchema = Type.Object({
  id: Type.String(),
  releaseId: Type.String(),
  platform: Type.String(),
  arch: Type.String(),
  fileType: Type.String(),
  fileName: Type.String(),
  size: Type.Integer(),
  sha256: Type.String({ description: 'Hex SHA-256 of the file' }),
  signature: Type.String({ description: 'Base64 Ed25519 signature of the hex SHA-256 (as ASCII), by the instance key `keyId` (GET /v1/public-key)' }),
  keyId: Type.String(),
  status: StringEnum(ARTIFACT_STATUSES, { description: '`removed`: retention deleted the file (downloads answer 410 ARTIFACT_REMOVED); the record stays' }),
  createdAt: Timestamp,
  removedAt: NullableTimestamp,
  removedReason: Nullable(Type.String({ description: 'Why, e.g. "retention: not among the newest 3 versions and published more than 90 days ago"' })),
});

export const ArtifactList = Page(ArtifactSchema);

export const UploadQuery = Type.Object(
  {
    platform: Token('e.g. windows, macos, linux, any'),
    arch: Token('e.g. x64, arm64, universal, any'),
    fileType: Token('e.g. msi, dmg, tar.gz, zip'),
    fileName: Type.String({ minLength: 1, maxLength: 255, description: 'The name downloaders get: one plain file name' }),
    sha256: Type.Optional(Sha256),
  },
  { additionalProperties: false },
);

export const ReleaseArtifactParams = Type.Object({ id: Id }, { additionalProperties: false });

export const DownloadLinkSchema = Type.Object({
  url: Type.String({ description: 'Signed, short-lived: GET it without a credential' }),
  expiresAt: Timestamp,
  artifact: ArtifactSchema,
});

export const KeyBody = Type.Object({ key: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false });

export const DownloadQuery = Type.Object(
  {
    e: Type.Integer({ minimum: 0, maximum: 99_999_999_999, description: 'Expiry, epoch seconds' }),
    t: Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z-]+$', description: 'Who the link was made for: staff, user, token or license' }),
    u: Type.Optional(Id),
    l: Type.Optional(Id),
    s: Type.String({ minLength: 64, maxLength: 64, pattern: '^[a-f0-9]{64}$', description: 'HMAC-SHA256 of the claims' }),
    format: Type.Optional(
      StringEnum(['file', 'bundle'], {
        description: 'file (default): the artifact itself; bundle: an offline update bundle (tar of manifest.json, manifest.sig, payload/<fileName>). Not covered by the HMAC: the same entitlement.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const DownloadList = Page(
  Type.Object({
    id: Type.String(),
    artifactId: Type.String(),
    actorType: Type.String(),
    actorId: Type.Union([Type.String(), Type.Null()]),
    licenseId: Type.Union([Type.String(), Type.Null()]),
    ip: Type.Union([Type.String(), Type.Null()]),
    userAgent: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp,
  }),
);
