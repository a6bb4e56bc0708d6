import Type from 'typebox';
import { Id, Metadata, Nonce, Nullable, NullableTimestamp, Timestamp } from '../../http/schemas.js';
import { ClientLicenseSchema } from '../licenses/licenses.schemas.js';

export const Fingerprint = Type.String({ minLength: 1, maxLength: 255, description: 'A stable, hashed machine identifier' });

export const MachineSchema = Type.Object({
  id: Type.String(),
  licenseId: Type.String(),
  fingerprint: Type.String(),
  name: Nullable(Type.String({ description: 'Friendly name, e.g. the computer name' })),
  hostname: Nullable(Type.String()),
  platform: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  activatedAt: Timestamp,
  lastHeartbeatAt: NullableTimestamp,
  leaseExpiresAt: Nullable(Type.String({ format: 'date-time', description: 'null: node-locked' })),
  leaseState: Type.Union([Type.Literal('node-locked'), Type.Literal('active'), Type.Literal('borrowed'), Type.Literal('lapsed')], {
    description:
      'At the time of the answer: node-locked (holds its seat until deactivated), active (floating lease running), borrowed (the lease lapsed but an offline license file is out: the seat stays taken until borrowedUntil) or lapsed (the seat is free)',
  }),
  userId: Nullable(Type.String({ description: 'Per-user licenses: the named user' })),
  borrowedUntil: Nullable(
    Type.String({ format: 'date-time', description: 'While an offline license file bound to this machine is out: its expiry; the seat is held until then' }),
  ),
});

export const LicenseUserSchema = Type.Object({
  id: Type.String(),
  licenseId: Type.String(),
  identifier: Type.String(),
  name: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});

const LicenseKey = Type.String({ minLength: 1, maxLength: 100 });

export const ActivateBody = Type.Object(
  {
    key: LicenseKey,
    fingerprint: Fingerprint,
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 320, description: 'Per-user licenses: the named user (e-mail or user name) of this machine' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    platform: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    metadata: Type.Optional(Metadata),
    nonce: Type.Optional(Nonce),
  },
  { additionalProperties: false },
);

/** activateMachine's body without the key: the bearer credential and the license id identify the license. */
const { key: _key, ...withoutKey } = ActivateBody.properties;
export const SignedInActivateBody = Type.Object(withoutKey, { additionalProperties: false });

export const MachineKeyBody = Type.Object(
  { key: LicenseKey, fingerprint: Fingerprint, nonce: Type.Optional(Nonce) },
  { additionalProperties: false },
);

export const ActivateResponse = Type.Object({
  machine: MachineSchema,
  license: ClientLicenseSchema,
  warning: Type.Optional(Type.Literal('OVERDRAFT', { description: 'The seat was granted from the policy overdraft' })),
  nonce: Type.Optional(Type.String()),
});
export const HeartbeatResponse = Type.Object({ machine: MachineSchema, nonce: Type.Optional(Type.String()) });

/** The filters of the machine list, shared by its CSV export. */
const MachineFilterProps = {
  licenseId: Type.Optional(Id),
  fingerprint: Type.Optional(Fingerprint),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Search the friendly name or hostname' })),
};

export const ExportMachinesQuery = Type.Object(MachineFilterProps, { additionalProperties: false });

export const ListMachinesQuery = Type.Object(
  {
    ...MachineFilterProps,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Id),
  },
  { additionalProperties: false },
);
