import { commonErrors } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { SettingsSchema, UpdateSettingsBody } from './settings.schemas.js';

/** Run-time settings over the environment's defaults: reminder offsets, staff alerts. */
export function settingsRoutes(app: App, { settings }: Services): void {
  app.get(
    '/v1/settings',
    {
      schema: {
        operationId: 'getSettings',
        summary: 'Get server settings',
        tags: ['settings'],
        description: 'Each setting: the value in force, its default (from the environment) and whether staff set it.',
        response: { 200: SettingsSchema, ...commonErrors },
      },
      config: { access: { permission: 'settings:read' } },
    },
    async () => settings.get(),
  );

  app.patch(
    '/v1/settings',
    {
      schema: {
        operationId: 'updateSettings',
        summary: 'Update server settings',
        tags: ['settings'],
        description: 'Sets the named settings (null resets one to its default); the others stay. Takes effect at the next reminder sweep or alert, in every process.',
        body: UpdateSettingsBody,
        response: { 200: SettingsSchema, ...commonErrors },
      },
      config: { access: { permission: 'settings:write' } },
    },
    async (request) => settings.update(ctx(request), request.body),
  );
}
