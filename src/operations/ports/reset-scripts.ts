import type { Ticks } from '../date-time-offset.js';
import type { Owner } from '../long-running-operation.js';

/**
 * How one password reset goes when a test scripted it, instead of `--reset-duration` and the failure
 * rate: its steps, each `after` the reset's request. Valid by construction: the running step, when there
 * is one, comes no later than the finish.
 */
export interface ScriptedReset {
  /** `running` at `after`, with the `statusDetail` it writes (absent: it leaves it); absent: no running step. */
  readonly running?: { readonly after: Ticks; readonly statusDetail?: string };
  /**
   * The outcome at `after`. Absent `statusDetail` and `resourceLocation` are what an unscripted reset with
   * this outcome finishes with (`ResetSuccess` and the password method, or the failure reason and null).
   */
  readonly finish: {
    readonly after: Ticks;
    readonly outcome: 'succeeded' | 'failed';
    readonly statusDetail?: string;
    readonly resourceLocation?: string | null;
  };
}

/** Where `PasswordResets` asks for a scripted outcome: the emulator's queue of scripts (`emulator/reset-scripts.ts`). */
export interface ResetScriptSource {
  /** Takes the script the next reset of `owner` follows out of the source, or answers `undefined` when none applies. */
  take(owner: Owner): Promise<ScriptedReset | undefined>;
}
