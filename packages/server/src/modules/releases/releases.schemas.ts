import Type from 'typebox';
import { HttpUrl, Id, Nonce, Nullable, NullableTimestamp, StringEnum, Timestamp } from '../../http/schemas.js';
import { VALIDATION_CODES } from '../validation/validation.js';
import { RELEASE_STATUSES } from './releases.repository.js';
import { CHANNELS } from './semver.js';
import { ArtifactSchema } from '../artifacts/artifacts.schemas.js';

const Version = Type.String({ minLength: 1, maxLength: 128, description: 'A semantic version (semver.org 2.0.0), e.g. 1.4.0 or 2.0.0-rc.1' });
const Channel = StringEnum(CHANNELS, { description: 'stable, rc, beta, alpha or dev; asking for one also returns the more stable ones' });
const Url = HttpUrl();
const DocLink = Type.Object({ title: Type.String({ minLength: 1, maxLength: 200 }), url: Url }, { additionalProperties: false });
const Feature = Type.String({ minLength: 1, maxLength: 100 });

export const ReleaseSchema = Type.Object({
  id: Type.String(),
  productId: Type.String(),
  version: Type.String(),
  channel: Channel,
  status: StringEnum(RELEASE_STATUSES),
  notes: Type.String({ description: 'Release notes in Markdown' }),
  notesHtml: Type.String({ description: 'The notes rendered to HTML safe to show: raw HTML escaped, only http(s), mailto and relative links' }),
  docLinks: Type.Array(Type.Object({ title: Type.String(), url: Type.String() })),
  videoUrl: Nullable(Type.String()),
  requirements: Type.Array(Type.String(), { description: 'Features the license must have' }),
  publishedAt: NullableTimestamp,
  yankedAt: NullableTimestamp,
  yankReason: Nullable(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const editable = {
  channel: Type.Optional(Channel),
  notes: Type.Optional(Type.String({ maxLength: 100_000 })),
  docLinks: Type.Optional(Type.Array(DocLink, { maxItems: 50 })),
  videoUrl: Type.Optional(Nullable(Url)),
  requirements: Type.Optional(Type.Array(Feature, { maxItems: 100 })),
};

export const CreateReleaseBody = Type.Object({ productId: Id, version: Version, ...editable }, { additionalProperties: false });

export const UpdateReleaseBody = Type.Object(
  { version: Type.Optional(Version), ...editable },
  { additionalProperties: false, minProperties: 1, description: 'Only a draft may change its version.' },
);

export const YankReleaseBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });

export const ListReleasesQuery = Type.Object(
  {
    productId: Type.Optional(Id),
    channel: Type.Optional(Channel),
    status: Type.Optional(StringEnum(RELEASE_STATUSES)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 25 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

export const UpdateCheckBody = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 100 }),
    product: Type.String({ minLength: 1, maxLength: 100, description: 'Product id or code' }),
    version: Version,
    channel: Type.Optional(Channel),
    platform: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    arch: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    nonce: Type.Optional(Nonce),
  },
  { additionalProperties: false },
);

const OfferedArtifactSchema = Type.Object({
  ...ArtifactSchema.properties,
  url: Type.String({ description: 'A signed download link for this license (GET; add &format=bundle for the offline update bundle)' }),
  expiresAt: Timestamp,
});

const OfferedReleaseSchema = Type.Object({
  ...ReleaseSchema.properties,
  artifacts: Type.Array(OfferedArtifactSchema, { description: 'The files for the asked platform and arch (all files when neither is named)' }),
});

export const UpdateCheckResponse = Type.Object({
  updateAvailable: Type.Boolean(),
  code: StringEnum(VALIDATION_CODES, { description: "The license's validation code; no update is offered unless it is valid" }),
  ts: Timestamp,
  release: Type.Optional(OfferedReleaseSchema),
  nonce: Type.Optional(Type.String()),
});
