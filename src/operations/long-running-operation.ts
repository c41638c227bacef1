import type { Ticks } from './date-time-offset.js';
import type { OperationStatus } from './status.js';

/**
 * The one model definition of microsoft.graph.longRunningOperation: its properties in the order Graph
 * writes them, their EDM types and who may write them. Validation, serialization, `$select`, sorting and
 * `$metadata` all read this table.
 */
export const ENTITY_TYPE = 'microsoft.graph.longRunningOperation';
export const STATUS_ENUM_TYPE = 'microsoft.graph.longRunningOperationStatus';

export type EdmType = 'Edm.String' | 'Edm.DateTimeOffset' | typeof STATUS_ENUM_TYPE;

/** `key`: the entity key, set by the server; `server`: set by the server, read-only; `client`: writable. */
export type PropertyAccess = 'key' | 'server' | 'client';

export interface PropertyDefinition {
  readonly type: EdmType;
  readonly nullable: boolean;
  readonly access: PropertyAccess;
  /** The longest value accepted, in UTF-16 code units (strings only). */
  readonly maxLength?: number;
}

export const OPERATION_PROPERTIES = {
  id: { type: 'Edm.String', nullable: false, access: 'key' },
  createdDateTime: { type: 'Edm.DateTimeOffset', nullable: true, access: 'server' },
  lastActionDateTime: { type: 'Edm.DateTimeOffset', nullable: true, access: 'client' },
  status: { type: STATUS_ENUM_TYPE, nullable: true, access: 'client' },
  statusDetail: { type: 'Edm.String', nullable: true, access: 'client', maxLength: 1024 },
  resourceLocation: { type: 'Edm.String', nullable: true, access: 'client', maxLength: 2048 },
} as const satisfies Record<string, PropertyDefinition>;

export type OperationProperty = keyof typeof OPERATION_PROPERTIES;
export const OPERATION_PROPERTY_NAMES = Object.keys(OPERATION_PROPERTIES) as OperationProperty[];

/** A stored operation. Every field is always present: the server sets the dates and the status at creation. */
export interface LongRunningOperation {
  readonly id: string;
  readonly createdDateTime: Ticks;
  readonly lastActionDateTime: Ticks;
  readonly status: OperationStatus;
  readonly statusDetail: string | null;
  readonly resourceLocation: string | null;
  /** Bumped by every change; drives ETags and optimistic concurrency. */
  readonly version: number;
  /**
   * When the status became terminal, by the server's clock (not a Graph property, never written out):
   * retention counts from here, because `lastActionDateTime` is the client's to set, even to the past.
   */
  readonly finishedAt: Ticks | null;
  /**
   * Where the server itself drives the operation (a password reset), or absent/null when only clients
   * change it. Internal, like `finishedAt`: never written out. See `schedule.ts`.
   */
  readonly schedule?: OperationSchedule | null;
}

/**
 * The server's plan for an operation: `running` at `runAt`, then `outcome` at `finishAt` (server clock). A
 * `runAt` equal to `finishAt` means no running step: the operation finishes straight from `notStarted`.
 */
export interface OperationSchedule {
  readonly runAt: Ticks;
  readonly finishAt: Ticks;
  /** The `statusDetail` the running step writes; absent, it leaves `statusDetail` as it is. */
  readonly runningDetail?: string;
  readonly outcome: 'succeeded' | 'failed';
  /** The `statusDetail` the operation finishes with: `ResetSuccess`, or the configured failure reason. */
  readonly detail: string;
  /** The `resourceLocation` the operation finishes with. */
  readonly resourceLocation: string | null;
}

/** The properties a client may set, as validated values. */
export interface OperationChanges {
  readonly lastActionDateTime?: Ticks;
  readonly status?: OperationStatus;
  readonly statusDetail?: string | null;
  readonly resourceLocation?: string | null;
}

/** Whose operation it is: every store query is scoped by both, so nothing crosses tenants or users. */
export interface Owner {
  readonly tenantId: string;
  readonly userId: string;
}
