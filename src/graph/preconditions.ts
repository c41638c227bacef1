import type { VersionPrecondition } from '../operations/operation-service.js';

/** The entity tag of a version: strong, because If-Match compares strongly. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** `If-Match: *` or a list of tags. Tags that are not ours (or weak) match no version, as strong comparison says. */
export function ifMatch(header: string | undefined): VersionPrecondition | undefined {
  if (header === undefined) return undefined;
  const tags = splitTags(header);
  if (tags.includes('*')) return { anyVersion: true };
  return { versions: tags.map(versionOf).filter((v): v is number => v !== undefined) };
}

/** Whether `If-None-Match` matches the current version (weak comparison: `W/` is ignored). */
export function ifNoneMatchHits(header: string | undefined, version: number): boolean {
  if (header === undefined) return false;
  const tags = splitTags(header);
  return tags.includes('*') || tags.some((tag) => versionOf(tag.replace(/^W\//, '')) === version);
}

function splitTags(header: string): string[] {
  return header.split(',').map((t) => t.trim()).filter(Boolean);
}

/** Our tags are `"N"` with no leading zeros, so matching this pattern is the same as comparing the text. */
function versionOf(tag: string): number | undefined {
  const m = /^"([1-9]\d{0,14})"$/.exec(tag);
  return m ? Number(m[1]) : undefined;
}
