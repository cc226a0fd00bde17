/** The user's words: the one message catalog (frontend-spec/messages/zh-CN.json), with `{name}` placeholders. */
import catalog from "../../frontend-spec/messages/zh-CN.json";

const messages: Record<string, string> = catalog;

/** The message `key`, its placeholders filled from `params`; the key itself when the catalog lacks it. */
export function t(key: string, params: Record<string, string | number> = {}): string {
  const text = messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}
