/** What this phone just filed, for the community home to list at once: the home's query may have been answered
 * before the read model had it, and its live subscription was not open while the form was (merged in by id, so a
 * re-read or a live delivery of the same organization shows it once). */
import type { ResultOf } from "../operations";

export type FiledOrganization = ResultOf<"FileOrganization">["registerOrganization"]["organization"];

const filed = new Map<string, FiledOrganization[]>();

export function rememberFiled(organization: FiledOrganization): void {
  const list = filed.get(organization.communityCode) ?? [];
  filed.set(organization.communityCode, [organization, ...list.filter((o) => o.id !== organization.id)]);
}

export function filedIn(code: string): FiledOrganization[] {
  return filed.get(code) ?? [];
}
