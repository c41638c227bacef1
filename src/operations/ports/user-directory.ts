export interface DirectoryUser {
  readonly tenantId: string;
  /** The object id (a GUID): the user's key, which never changes. */
  readonly id: string;
  /** `null` when the user has none: its UPN moved to another user (a rename), and it is addressed by id only. */
  readonly userPrincipalName: string | null;
}

/** A user that holds a UPN: one found by it, or one a token or a seed file names with it. */
export type NamedUser = DirectoryUser & { readonly userPrincipalName: string };

/** Users known to this service: from verified token claims and from seed files. */
export interface UserDirectory {
  /**
   * Adds the user or updates its UPN, in one transaction. A UPN another user holds has moved to this one
   * (a rename): that user loses it and keeps its row (and its operations), found by id from then on. No
   * user is ever deleted. A `null` UPN leaves the user with none, known by id only. Writing the same user
   * again changes nothing. UPNs compare case-insensitively.
   */
  upsert(user: DirectoryUser): Promise<void>;
  findById(tenantId: string, id: string): Promise<DirectoryUser | undefined>;
  /** UPNs match case-insensitively. */
  findByUserPrincipalName(tenantId: string, userPrincipalName: string): Promise<NamedUser | undefined>;
}
