/** Reading one's own write (flows.md): a read sent with `X-Consistent-After: <receipt.position>` waits until the read
 * models have processed that position, so the screen shows the change at once. The context repeats the token
 * (a context's fetchOptions replace the client's). */
import type { OperationContext } from "@urql/core";

export function consistentAfter(token: string, position: number): Partial<OperationContext> {
  return {
    requestPolicy: "network-only",
    fetchOptions: {
      headers: { Authorization: `Bearer ${token}`, "X-Consistent-After": String(position) },
      credentials: "omit",
    },
  };
}
