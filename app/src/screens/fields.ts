/** What a refused command means beside a form's fields: the field `extensions.field` names (frontend-spec/errors.md:
 * INVALID_INPUT is shown beside that field, labelled by msg:form.field.*), and the message in the user's words. */
import type { CombinedError } from "@urql/core";
import { t } from "../messages";

/** The field a refusal names (extensions.field), or null. */
export function refusedField(error: CombinedError): string | null {
  const field = error.graphQLErrors[0]?.extensions?.field;
  return typeof field === "string" && field ? field : null;
}

/** The label of an API field for INVALID_INPUT's `{field}`: msg:form.field.<name>, else msg:form.field.other. */
export function fieldLabel(field: string | null): string {
  const name = (field ?? "").split(/[.[]/).pop() ?? "";
  const key = `form.field.${name}`;
  const label = t(key);
  return label === key ? t("form.field.other") : label;
}

/** The message of a refusal, with INVALID_INPUT's field named in words. */
export function refusalMessage(outcome: { code: string | null; message: string; error: CombinedError }): string {
  if (outcome.code === "INVALID_INPUT") return t("error.INVALID_INPUT", { field: fieldLabel(refusedField(outcome.error)) });
  return outcome.message;
}

/** A moment typed in a datetime-local field (the phone's clock) as an ISO 8601 time with its offset, or null. */
export function isoFromLocal(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** A datetime-local field's value for `date` on the phone's clock. */
export function localValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The community a signed-in actor's screens are about: its scope when that is one community (12 digits). */
export function ownCommunity(scope: string): string | null {
  return /^\d{12}$/.test(scope) ? scope : null;
}
