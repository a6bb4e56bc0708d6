import { all, request } from '../api.js';

/** One run-time setting (`getSettings`): the value in force, the environment's default, and who set it. */
export interface Setting<T> {
  value: T;
  default: T;
  source: 'default' | 'set';
  updatedAt: string | null;
  updatedBy: string | null;
}
export interface Settings {
  reminderDays: Setting<number[]>;
  remindAutoRenewing: Setting<boolean>;
  alertEmails: Setting<string[]>;
  alertExpiryDays: Setting<number>;
}
/** A change: a value sets a setting, null resets it to its default, a missing key leaves it alone. */
export type SettingsPatch = { [K in keyof Settings]?: Settings[K]['value'] | null };

/** The instance's signing key (`getPublicKey`): apps verify every signed answer with it. */
export interface PublicKey {
  keyId: string;
  algorithm: 'ed25519';
  /** The raw 32-byte key, base64. */
  publicKey: string;
  pem: string;
}

/** An FAQ entry as staff see it (`listFaqEntries`), the Markdown and the server's sanitized rendering. */
export interface FaqEntryFull {
  id: string;
  productId: string | null;
  question: string;
  answer: string;
  answerHtml: string;
  position: number;
  published: boolean;
  createdAt: string;
  updatedAt: string;
}
export interface FaqInput {
  question: string;
  answer: string;
  productId?: string | null;
  position?: number;
  published?: boolean;
}

export const settingsApi = {
  getSettings: () => request<Settings>('GET', '/v1/settings'),
  updateSettings: (body: SettingsPatch) => request<Settings>('PATCH', '/v1/settings', { body }),
  publicKey: () => request<PublicKey>('GET', '/v1/public-key'),
  listFaq: () => all<FaqEntryFull>('/v1/faq'),
  createFaq: (body: FaqInput) => request<FaqEntryFull>('POST', '/v1/faq', { body }),
  updateFaq: (id: string, body: Partial<FaqInput>) => request<FaqEntryFull>('PATCH', `/v1/faq/${encodeURIComponent(id)}`, { body }),
  deleteFaq: (id: string) => request<void>('DELETE', `/v1/faq/${encodeURIComponent(id)}`),
};
