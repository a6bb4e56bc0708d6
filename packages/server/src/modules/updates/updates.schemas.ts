import Type from 'typebox';
import { Nonce, StringEnum, Timestamp } from '../../http/schemas.js';
import { ArtifactSchema } from '../artifacts/artifacts.schemas.js';
import { VALIDATION_CODES } from '../validation/validation.js';
import { Channel, ReleaseSchema, Version } from '../releases/releases.schemas.js';

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
