import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  test('defaults: SQLite under ./data on port 8080', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.database.dialect, 'sqlite');
    assert.ok(config.database.dialect === 'sqlite' && config.database.file.endsWith('data/keyhaven.sqlite'));
    assert.equal(config.masterKey.source, 'file');
    assert.equal(config.adminToken, undefined);
    assert.ok(Object.isFrozen(config));
  });
  test('DATABASE_URL selects PostgreSQL; env master key; public URL without trailing slash', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@h:5432/db',
      KEYHAVEN_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      KEYHAVEN_PUBLIC_URL: 'https://licenses.example.com/',
      PORT: '9000',
    });
    assert.deepEqual(config.database, { dialect: 'postgres', url: 'postgres://u@h:5432/db' });
    assert.equal(config.masterKey.source, 'env');
    assert.equal(config.publicUrl, 'https://licenses.example.com');
    assert.equal(config.port, 9000);
  });
  test('webhooks: private addresses refused unless turned on; the timeout is in seconds', () => {
    assert.equal(loadConfig({}).webhookAllowPrivate, false);
    assert.equal(loadConfig({ KEYHAVEN_WEBHOOK_ALLOW_PRIVATE: 'true' }).webhookAllowPrivate, true);
    assert.equal(loadConfig({}).webhookTimeoutMs, 10_000);
    const strict = loadConfig({ KEYHAVEN_WEBHOOK_ALLOW_PRIVATE: 'false', KEYHAVEN_WEBHOOK_TIMEOUT_SECONDS: '30' });
    assert.equal(strict.webhookAllowPrivate, false);
    assert.equal(strict.webhookTimeoutMs, 30_000);
    assert.throws(() => loadConfig({ KEYHAVEN_WEBHOOK_TIMEOUT_SECONDS: '0' }), /KEYHAVEN_WEBHOOK_TIMEOUT_SECONDS/);
    assert.throws(() => loadConfig({ KEYHAVEN_WEBHOOK_ALLOW_PRIVATE: 'perhaps' }), /KEYHAVEN_WEBHOOK_ALLOW_PRIVATE/);
  });
  test('mail: SMTP_URL must be an smtp(s) URL; MAIL_FROM an address; unset SMTP means mail is held', () => {
    const none = loadConfig({});
    assert.equal(none.smtpUrl, undefined);
    assert.equal(none.mailFrom, 'Keyhaven <no-reply@localhost>');
    assert.equal(none.passwordResetRateLimit, 5);
    const set = loadConfig({ SMTP_URL: 'smtps://user:pa%40ss@mail.example.com:465', MAIL_FROM: 'Acme Licensing <licenses@acme.example>' });
    assert.equal(set.smtpUrl, 'smtps://user:pa%40ss@mail.example.com:465');
    assert.equal(set.mailFrom, 'Acme Licensing <licenses@acme.example>');
    assert.equal(loadConfig({ MAIL_FROM: 'licenses@acme.example' }).mailFrom, 'licenses@acme.example');
    assert.throws(() => loadConfig({ SMTP_URL: 'http://mail.example.com' }), /SMTP_URL/);
    assert.throws(() => loadConfig({ SMTP_URL: 'mail.example.com:25' }), /SMTP_URL/);
    assert.throws(() => loadConfig({ MAIL_FROM: 'Acme Licensing' }), /MAIL_FROM/);
    assert.throws(() => loadConfig({ KEYHAVEN_PASSWORD_RESET_RATE_LIMIT: '0' }), /KEYHAVEN_PASSWORD_RESET_RATE_LIMIT/);
  });
  test('artifact storage: local by default; s3 needs a bucket, an http(s) endpoint, both keys or neither, a clean prefix', () => {
    assert.deepEqual(loadConfig({}).storage, { driver: 'local' });
    const s3 = loadConfig({
      KEYHAVEN_STORAGE: 's3',
      KEYHAVEN_S3_BUCKET: 'releases',
      KEYHAVEN_S3_ENDPOINT: 'http://127.0.0.1:9000',
      KEYHAVEN_S3_PREFIX: '/keyhaven/artifacts/',
      KEYHAVEN_S3_FORCE_PATH_STYLE: 'true',
      KEYHAVEN_S3_ACCESS_KEY_ID: 'minio',
      KEYHAVEN_S3_SECRET_ACCESS_KEY: 'minio-secret',
    });
    assert.deepEqual(s3.storage, {
      driver: 's3',
      bucket: 'releases',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      prefix: 'keyhaven/artifacts',
      forcePathStyle: true,
      credentials: { accessKeyId: 'minio', secretAccessKey: 'minio-secret' },
    });
    const aws = loadConfig({ KEYHAVEN_STORAGE: 's3', KEYHAVEN_S3_BUCKET: 'releases', KEYHAVEN_S3_REGION: 'eu-central-1' });
    assert.deepEqual(aws.storage, { driver: 's3', bucket: 'releases', region: 'eu-central-1', endpoint: undefined, prefix: '', forcePathStyle: false, credentials: undefined });
    assert.throws(() => loadConfig({ KEYHAVEN_STORAGE: 's3' }), (e: any) => e instanceof ConfigError && e.problems.some((p: string) => p.includes('KEYHAVEN_S3_BUCKET')));
    assert.throws(() => loadConfig({ KEYHAVEN_STORAGE: 'ftp' }), /KEYHAVEN_STORAGE must be local or s3/);
    const bad = (env: Record<string, string>, name: RegExp) => assert.throws(() => loadConfig({ KEYHAVEN_STORAGE: 's3', KEYHAVEN_S3_BUCKET: 'b', ...env }), name);
    bad({ KEYHAVEN_S3_ENDPOINT: 'minio:9000' }, /KEYHAVEN_S3_ENDPOINT/);
    bad({ KEYHAVEN_S3_ACCESS_KEY_ID: 'only-the-id' }, /KEYHAVEN_S3_ACCESS_KEY_ID and KEYHAVEN_S3_SECRET_ACCESS_KEY/);
    bad({ KEYHAVEN_S3_PREFIX: 'a/../b' }, /KEYHAVEN_S3_PREFIX/);
    bad({ KEYHAVEN_S3_PREFIX: 'a//b' }, /KEYHAVEN_S3_PREFIX/);
    bad({ KEYHAVEN_S3_FORCE_PATH_STYLE: 'sometimes' }, /KEYHAVEN_S3_FORCE_PATH_STYLE/);
  });
  test('every problem is listed at once', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', KEYHAVEN_MASTER_KEY: 'short', KEYHAVEN_ADMIN_TOKEN: 'abc', LOG_LEVEL: 'loud', KEYHAVEN_TRUST_PROXY: 'maybe' });
      assert.fail('should throw');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 6, error.message);
      assert.match(error.message, /PORT/);
      assert.match(error.message, /DATABASE_URL/);
    }
  });
});
