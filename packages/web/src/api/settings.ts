import { all, answer, client, PAGE, type Answer, type ItemOf, type RequestBody } from './api.js';

/** The run-time settings (`getSettings`): each the value in force, the environment's default, and who set it. */
export type Settings = Answer<'/v1/settings', 'get'>;
/** One run-time setting. */
export type Setting<T> = Omit<Settings[keyof Settings], 'value' | 'default'> & { value: T; default: T };
/** A change: a value sets a setting, null resets it to its default, a missing key leaves it alone. */
export type SettingsPatch = RequestBody<'/v1/settings', 'patch'>;

/** The instance's signing key (`getPublicKey`): apps verify every signed answer with it. */
export type PublicKey = Answer<'/v1/public-key', 'get'>;

/** An FAQ entry as staff see it (`listFaqEntries`), the Markdown and the server's sanitized rendering. */
export type FaqEntryFull = ItemOf<'/v1/faq'>;
export type FaqInput = RequestBody<'/v1/faq', 'post'>;

const id = (value: string) => ({ path: { id: value } });

export const settingsApi = {
  getSettings: () => answer(client.GET('/v1/settings')),
  updateSettings: (body: SettingsPatch) => answer(client.PATCH('/v1/settings', { body })),
  publicKey: () => answer(client.GET('/v1/public-key')),
  listFaq: () => all((cursor) => client.GET('/v1/faq', { params: { query: { limit: PAGE, cursor } } })),
  createFaq: (body: FaqInput) => answer(client.POST('/v1/faq', { body })),
  updateFaq: (entryId: string, body: RequestBody<'/v1/faq/{id}', 'patch'>) => answer(client.PATCH('/v1/faq/{id}', { params: id(entryId), body })),
  deleteFaq: (entryId: string) => answer(client.DELETE('/v1/faq/{id}', { params: id(entryId) })),
};
