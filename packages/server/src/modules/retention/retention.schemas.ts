import Type from 'typebox';
import { Nullable, NullableTimestamp } from '../../http/schemas.js';
import { ArtifactSchema } from '../artifacts/artifacts.schemas.js';

export const RetentionSchema = Type.Object({
  productId: Type.String(),
  keepVersions: Nullable(Type.Integer({ description: 'Keep the newest N versions (semver precedence, all channels); null: no count limit' })),
  keepDays: Nullable(Type.Integer({ description: 'Keep versions published less than N days ago; null: no age limit' })),
  updatedAt: NullableTimestamp,
});

export const SetRetentionBody = Type.Object(
  {
    keepVersions: Nullable(Type.Integer({ minimum: 1, maximum: 10_000 })),
    keepDays: Nullable(Type.Integer({ minimum: 1, maximum: 36_500 })),
  },
  { additionalProperties: false, description: 'Both null keeps every version.' },
);

export const RetentionRunSchema = Type.Object({
  removed: Type.Array(ArtifactSchema, { description: 'The artifacts whose files this run removed (status removed, with the reason)' }),
});
