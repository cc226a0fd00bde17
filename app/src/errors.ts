/** What an answer's error means to the user (frontend-spec/errors.md), in the catalog's words. */
import type { CombinedError } from "@urql/core";
import { t } from "./messages";

/** The error's extensions.code, or null for a network failure. */
export function errorCode(error: CombinedError): string | null {
  const code = error.graphQLErrors[0]?.extensions?.code;
  return typeof code === "string" ? code : null;
}

/** The message shown for `error`; `params` fills the message's placeholders (a task's status, say). */
export function errorMessage(error: CombinedError, params: Record<string, string> = {}): string {
  const code = errorCode(error);
  if (code === null) return t("error.network");
  const extensions = error.graphQLErrors[0]?.extensions ?? {};
  return t(`error.${code}`, { field: String(extensions.field ?? ""), requestId: String(extensions.requestId ?? ""),
    outstanding: String(extensions.outstandingYuan ?? ""), ...params });
}
