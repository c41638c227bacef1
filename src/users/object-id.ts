/** A GUID in its text form (`8-4-4-4-12` hexadecimal digits, any case): how Entra names tenants and users. */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `text` is a GUID: an object id or a tenant id rather than a userPrincipalName. */
export function isGuid(text: string): boolean {
  return GUID.test(text);
}

/** Whether `text` has the shape of a userPrincipalName, `name@domain`: one `@`, no white space. */
export function isUserPrincipalName(text: string): boolean {
  return /^[^@\s]+@[^@\s]+$/.test(text);
}
