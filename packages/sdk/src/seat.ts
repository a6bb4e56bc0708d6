import type { KeyhavenClient } from './client.js';
import { KeyhavenError } from './errors.js';
import type { ActivateInput, ActivateResult } from './types.js';

export interface SeatOptions {
  /**
   * Heartbeat interval. Default: half the license's heartbeatSeconds (so one lost heartbeat does not lose
   * the seat), at least 5 s.
   */
  intervalMs?: number;
  /** Release the seat when the process exits normally or on SIGINT/SIGTERM. Default true. */
  releaseOnExit?: boolean;
  /** Told when a heartbeat fails; a lapsed lease (HEARTBEAT_DEAD) is re-activated once by itself. */
  onError?: (error: unknown) => void;
}

/**
 * A floating seat held by this process: activated now, kept alive by heartbeats, released on `release()`
 * or when the process exits. If the process dies without a clean exit (kill -9, power loss), the server
 * frees the seat by itself once heartbeats stop for the license's heartbeatSeconds plus a tolerance.
 */
export class Seat {
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private readonly exitHandlers: Array<[string, (...args: unknown[]) => void]> = [];

  private constructor(
    private readonly client: KeyhavenClient,
    private readonly input: ActivateInput,
    /** The activation answer (machine, license, warning). */
    public activation: ActivateResult,
    private readonly options: SeatOptions,
  ) {}

  /** Takes a seat (422 TOO_MANY_MACHINES is thrown as KeyhavenError) and starts heartbeating. */
  static async hold(client: KeyhavenClient, input: ActivateInput, options: SeatOptions = {}): Promise<Seat> {
    const activation = await client.activate(input);
    const seat = new Seat(client, input, activation, options);
    seat.start();
    return seat;
  }

  private start(): void {
    const heartbeatSeconds = this.activation.license.heartbeatSeconds ?? 600;
    const interval = this.options.intervalMs ?? Math.max(5_000, (heartbeatSeconds * 1000) / 2);
    this.timer = setInterval(() => void this.beat(), interval);
    this.timer.unref();
    if (this.options.releaseOnExit !== false) {
      const onSignal = (signal: NodeJS.Signals) => {
        void this.release().finally(() => {
          this.removeExitHandlers();
          process.kill(process.pid, signal);
        });
      };
      this.addExitHandler('SIGINT', onSignal as (...args: unknown[]) => void);
      this.addExitHandler('SIGTERM', onSignal as (...args: unknown[]) => void);
      this.addExitHandler('beforeExit', () => void this.release());
    }
  }

  private addExitHandler(event: string, handler: (...args: unknown[]) => void): void {
    process.once(event as NodeJS.Signals, handler);
    this.exitHandlers.push([event, handler]);
  }

  private removeExitHandlers(): void {
    for (const [event, handler] of this.exitHandlers) process.removeListener(event as NodeJS.Signals, handler);
    this.exitHandlers.length = 0;
  }

  /** One heartbeat now; re-activates once if the lease had lapsed (e.g. after a long sleep). */
  async beat(): Promise<void> {
    if (this.released) return;
    try {
      await this.client.heartbeat({ key: this.input.key, fingerprint: this.input.fingerprint });
    } catch (error) {
      if (error instanceof KeyhavenError && (error.code === 'HEARTBEAT_DEAD' || error.code === 'NOT_FOUND')) {
        try {
          this.activation = await this.client.activate(this.input);
          return;
        } catch (again) {
          this.options.onError?.(again);
          return;
        }
      }
      this.options.onError?.(error);
    }
  }

  /** Stops heartbeating and frees the seat on the server. Safe to call twice. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    this.removeExitHandlers();
    try {
      await this.client.deactivate({ key: this.input.key, fingerprint: this.input.fingerprint });
    } catch (error) {
      if (!(error instanceof KeyhavenError && error.code === 'NOT_FOUND')) this.options.onError?.(error);
    }
  }
}
