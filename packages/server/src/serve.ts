import { randomBytes } from 'node:crypto';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { SYSTEM_ACTOR } from './http/access.js';
import { isUniqueViolation } from './db/database.js';
import { openRuntime } from './runtime.js';
import type { Services } from './services.js';

const BOOTSTRAP_EMAIL = 'owner@keyhaven.local';

/**
 * On an instance with no staff user yet, creates the first owner with a random password and returns
 * it so it can be printed once. Several processes starting together create one owner.
 */
async function bootstrapOwner(services: Services): Promise<{ email: string; password: string } | undefined> {
  const staff = await services.database.db.selectFrom('users').select('id').where('kind', '=', 'staff').limit(1).executeTakeFirst();
  if (staff) return undefined;
  const password = randomBytes(12).toString('base64url');
  try {
    await services.users.create({ actor: { ...SYSTEM_ACTOR, label: 'first start' } }, { email: BOOTSTRAP_EMAIL, name: 'Owner', password, role: 'owner' });
  } catch (error) {
    if (isUniqueViolation(error) || (error as { code?: string }).code === 'CONFLICT') return undefined;
    throw error;
  }
  return { email: BOOTSTRAP_EMAIL, password };
}

export const SERVE_ROLES = ['all', 'api', 'worker'] as const;
export type ServeRole = (typeof SERVE_ROLES)[number];

/**
 * `keyhaven serve`: the API and the job worker in one process (`all`, the default), or one of them
 * (`--role api`, `--role worker`) so they can be scaled apart. Any number of processes may share one
 * PostgreSQL database. Stops gracefully: finishes requests and running jobs, flushes buffered writes.
 */
export async function serve(config: Config, role: ServeRole = 'all'): Promise<void> {
  const runtime = await openRuntime(config);
  const { app, services } = await buildApp(runtime, {
    logger: { level: config.logLevel },
    worker: {
      onError: (error, job) => app.log.error({ err: error, job: job?.id }, 'job worker error'),
      onJobDone: (job, outcome, error) => {
        if (outcome === 'done') app.log.debug({ job: job.id, type: job.type }, 'job done');
        else app.log.warn({ job: job.id, type: job.type, outcome, err: error }, outcome === 'failed' ? 'job failed for good' : 'job failed; will retry');
      },
    },
  });
  const runsWorker = role !== 'api';
  const runsApi = role !== 'worker';
  if (runsWorker) services.worker.start();
  if (!runsApi) {
    process.stdout.write(`\nKeyhaven worker ${services.worker.id} is running (jobs: ${services.worker.types.join(', ')}).\n\n`);
  }
  const owner = runsApi ? await bootstrapOwner(services) : undefined;
  if (runsApi) await app.listen({ port: config.port, host: config.host });

  const lines = [
    '',
    `Keyhaven is running at ${config.publicUrl}`,
    `  Web app:   open ${config.publicUrl} in a browser and sign in (staff: the console; customer users: the portal)`,
    `  API docs:  ${config.publicUrl}/docs   (OpenAPI: ${config.publicUrl}/openapi.json)`,
    `  Database:  ${config.database.dialect === 'sqlite' ? config.database.file : 'PostgreSQL'}`,
  ];
  if (runtime.masterKeyCreated) {
    lines.push(`  A new master key was written to ${config.masterKey.source === 'file' ? config.masterKey.file : ''}: back it up with the database.`);
  }
  if (owner) {
    lines.push(
      '',
      '  First start: an owner account was created. Sign in (in the browser, or with the API) with',
      `    e-mail:    ${owner.email}`,
      `    password:  ${owner.password}`,
      '  This password is shown only now. Change it after signing in: Administration → Change password.',
    );
  } else {
    lines.push(
      '',
      `  Sign in:   in the browser at ${config.publicUrl} with a staff e-mail and password; for the API,`,
      `             POST ${config.publicUrl}/v1/auth/sign-in, or send Authorization: Bearer $KEYHAVEN_ADMIN_TOKEN.`,
      '  No account? npx keyhaven admin create --email you@example.com --password <new password>',
      '  Lost password (staff or customer user)? npx keyhaven admin set-password --email <e-mail> --password <new password>',
    );
  }
  if (runsWorker) lines.push('', `  Jobs:      this process runs the job worker too (${runsApi ? 'role all' : 'role worker'}).`);
  lines.push(
    '',
    config.smtpUrl
      ? `  Mail:      sent through ${new URL(config.smtpUrl).host} as ${config.mailFrom}.`
      : [
          '  Mail:      SMTP_URL is not set: mail is kept in the outbox as "held" (GET /v1/outbox?status=held).',
          '             Invited users and forgotten passwords: staff open the user (Staff users, or the customer\'s page)',
          '             and use "Show link" to hand over a one-time set-password link, or run',
          '             npx keyhaven admin set-password --email <e-mail> --password <new password> (staff and customer users).',
        ].join('\n'),
  );
  if (runsApi) process.stdout.write(lines.join('\n') + '\n\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'stopping: finishing requests and flushing buffered writes');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      await services.worker.stop();
      await app.close();
      await runtime.database.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'unclean stop');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
