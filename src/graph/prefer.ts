/** The `Prefer` preferences Graph clients send that this service honours. */
export interface Preferences {
  readonly returnMinimal: boolean;
  readonly returnRepresentation: boolean;
  readonly includeUnknownEnumMembers: boolean;
  /** `wait=N`: answer within N seconds (RFC 7240 §4.3); absent when not sent or not a whole number. */
  readonly waitSeconds?: number;
}

/** What a request without `Prefer` asks for: most requests, which then build nothing. */
const NONE: Preferences = Object.freeze({ returnMinimal: false, returnRepresentation: false, includeUnknownEnumMembers: false });

/** Parses `Prefer` (RFC 7240): comma-separated preferences, each `name[=value]` with optional parameters. */
export function parsePrefer(header: string | string[] | undefined): Preferences {
  if (header === undefined) return NONE;
  const names = new Map<string, string>();
  for (const line of Array.isArray(header) ? header : [header]) {
    // A comma inside a quoted value does not separate preferences.
    for (const preference of line.match(/(?:[^,"]|"[^"]*")+/g) ?? []) {
      const [token = ''] = preference.split(';');
      const [name = '', value = ''] = token.split('=').map((s) => s.trim().replace(/^"|"$/g, ''));
      if (name && !names.has(name.toLowerCase())) names.set(name.toLowerCase(), value.toLowerCase());
    }
  }
  return {
    returnMinimal: names.get('return') === 'minimal',
    returnRepresentation: names.get('return') === 'representation',
    includeUnknownEnumMembers: names.has('include-unknown-enum-members'),
    ...waitPreference(names.get('wait')),
  };
}

/** RFC 7240's delta-seconds: digits only; a huge value is as good as the largest wait the server allows. */
function waitPreference(value: string | undefined): { waitSeconds?: number } {
  return value !== undefined && /^\d{1,10}$/.test(value) ? { waitSeconds: Number(value) } : {};
}

/** The `Preference-Applied` value for what was honoured, or undefined when nothing was. */
export function preferenceApplied(applied: readonly (string | false)[]): string | undefined {
  const list = applied.filter((p): p is string => p !== false);
  return list.length ? list.join(', ') : undefined;
}
