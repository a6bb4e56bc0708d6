import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface ReceivedMail extends ParsedMail {
  /** Envelope recipients as the server accepted them. */
  envelopeTo: string[];
  envelopeFrom: string;
}

export interface TestSmtpServer {
  readonly port: number;
  /** `smtp://127.0.0.1:<port>` for SMTP_URL. */
  readonly url: string;
  /** Every message received so far, parsed with mailparser. */
  readonly received: ReceivedMail[];
  /** Waits until `count` messages (in total) have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Stops listening and drops open connections (an SMTP server that went down). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export interface TestSmtpOptions {
  port?: number;
  /**
   * Answer for a recipient: undefined accepts it; a number rejects it with that SMTP code
   * (e.g. 550 permanent, 451 temporary).
   */
  rcptCode?: (address: string) => number | undefined;
  /** Keep parsed messages (default true); the benchmark turns it off and only counts. */
  parse?: boolean;
  /** Called for every message accepted. */
  onMessage?: () => void;
}

/** A real SMTP server in this process (no TLS, authentication optional), receiving what Keyhaven sends. */
export async function startTestSmtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const parse = options.parse ?? true;
  let server: SMTPServer | undefined;
  let port = options.port ?? 0;

  const create = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      closeTimeout: 50,
      size: 10 * 1024 * 1024,
      onAuth(_auth, _session, callback) {
        callback(null, { user: 'test' });
      },
      onRcptTo(address: SMTPServerAddress, _session, callback) {
        const code = options.rcptCode?.(address.address);
        if (code === undefined) return callback();
        const error = Object.assign(new Error(`${code} recipient ${address.address} refused by the test server`), { responseCode: code });
        callback(error);
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const done = (mail?: ParsedMail) => {
            if (mail) {
              received.push(
                Object.assign(mail, {
                  envelopeTo: session.envelope.rcptTo.map((r) => r.address),
                  envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                }),
              );
            } else {
              received.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), envelopeFrom: '' } as unknown as ReceivedMail);
            }
            options.onMessage?.();
            for (const wake of waiters) wake();
            callback();
          };
          if (!parse) return done();
          simpleParser(Buffer.concat(chunks)).then(done, (error: Error) => callback(error));
        });
      },
    });

  const start = async () => {
    server = create();
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.server.address() as AddressInfo).port;
  };
  await start();

  return {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    received,
    start,
    async stop() {
      const current = server;
      server = undefined;
      if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`waited ${timeoutMs} ms for ${count} mails, got ${received.length}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, Math.min(left, 200));
          waiters.add(wake);
        });
      }
      return received;
    },
  };
}
