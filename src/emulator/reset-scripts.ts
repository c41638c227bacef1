import { randomUUID } from 'node:crypto';
import { DomainError } from '../operations/domain-error.js';
import type { Owner } from '../operations/long-running-operation.js';
import type { ResetScriptSource, ScriptedReset } from '../operations/ports/reset-scripts.js';
import type { UserDirectory } from '../operations/ports/user-directory.js';
import { isGuid } from '../users/object-id.js';
import { readResetScript, scriptedReset, type ResetScript } from './reset-script.js';

/** The most scripts the queue holds: a test queues a few; a runaway loop is told so, not fed memory. */
export const MAX_QUEUED_SCRIPTS = 1_000;

/**
 * The emulator's queue of scripted password resets (`--emulator-state`, `/admin/scripts`): each script
 * gives the steps of one reset, for one user or for anyone, and the reset that follows it takes it out.
 * Emulator state, as the clock is: in this process's memory, so every instance on one database has its
 * own queue, and a restart empties it (back to the seed's scripts).
 *
 * Which script a reset takes: the first queued for its user (by object id, or by the UPN the directory
 * gives the user then, case-insensitively; in any tenant), else the first queued for anyone, else none
 * (the reset follows `--reset-duration` and the failure rate). A script for one user is never taken by
 * another's reset, however long it waits.
 */
export class ResetScripts implements ResetScriptSource {
  #queue: ResetScript[];

  constructor(
    private readonly directory: Pick<UserDirectory, 'findById'>,
    initial: readonly ResetScript[] = [],
    private readonly newId: () => string = randomUUID,
  ) {
    this.#queue = [...initial];
  }

  /** Validates a request body and queues it last; a `conflict` while the queue is full. */
  add(body: unknown): ResetScript {
    const script = { id: this.newId(), ...readResetScript(body, '') };
    if (this.#queue.length >= MAX_QUEUED_SCRIPTS) {
      throw new DomainError(
        'conflict',
        `The queue already holds ${MAX_QUEUED_SCRIPTS} scripts, its most: let resets take them, or delete some (DELETE /admin/scripts/{id}, or DELETE /admin/scripts for all).`,
      );
    }
    this.#queue.push(script);
    return script;
  }

  /** The queue in order: the first script is the first a matching reset takes. */
  list(): readonly ResetScript[] {
    return [...this.#queue];
  }

  /** Takes one script out; `notFound` when none has that id (taken by a reset, or deleted already). */
  remove(id: string): void {
    const index = this.#queue.findIndex((script) => script.id === id.toLowerCase());
    if (index < 0) throw new DomainError('notFound', `No queued script has the id '${id}': a reset may have taken it.`);
    this.#queue.splice(index, 1);
  }

  /** Empties the queue, or fills it with `scripts` (a reset back to the seed's, an import), validated already. */
  replace(scripts: readonly ResetScript[] = []): void {
    this.#queue = [...scripts];
  }

  async take(owner: Owner): Promise<ScriptedReset | undefined> {
    if (this.#queue.length === 0) return undefined;
    // The user's UPN now, only when a script names one: a rename moves its scripts to the new holder.
    const upn = this.#queue.some(({ user }) => user !== null && !isGuid(user))
      ? (await this.directory.findById(owner.tenantId, owner.userId))?.userPrincipalName?.toLowerCase()
      : undefined;
    // From here on synchronous: two resets at once never take the same script.
    const names = (user: string) => user === owner.userId || user.toLowerCase() === upn;
    let index = this.#queue.findIndex(({ user }) => user !== null && names(user));
    if (index < 0) index = this.#queue.findIndex(({ user }) => user === null);
    if (index < 0) return undefined;
    const [script] = this.#queue.splice(index, 1);
    return scriptedReset(script!.steps);
  }
}
