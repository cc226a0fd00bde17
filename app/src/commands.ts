/**
 * Commands (mutations) as the screens send them: `useCommand("RecordActivity")` gives the command's state and a
 * `send(variables)`. Every command carries its own Idempotency-Key (a UUID made once per command, kept with it),
 * so a repeat reaches the log at most once (frontend-spec/offline.md).
 *
 * Each command goes through the outbox (offline/outbox.ts): written to IndexedDB first, then sent (oldest first,
 * one tab sending). The outcome tells the screen what to show: `done` (the server's answer), `refused` (a GraphQL
 * error: its code, its message in the user's words, and the refusal's log position when the refusal is on the
 * record; the pending screen keeps it until dismissed), or `queued` (no network, or no answer: the command waits
 * in the phone's outbox and is sent with the same key once online; the pending screen shows it). A browser without
 * IndexedDB sends the command directly, still with its key.
 */
import type { CombinedError, OperationResult } from "@urql/core";
import { useClient } from "@urql/preact";
import { useCallback, useState } from "preact/hooks";
import { commandContext, uuid } from "./client";
import { errorCode, errorMessage } from "./errors";
import type { OperationTypes } from "./generated/graphql";
import { add, outboxAvailable, refusalPosition, submit } from "./offline/outbox";
import type { OperationName, ResultOf, VariablesOf } from "./operations";
import { useSession } from "./state";

export { refusalPosition };

/** The operations that are mutations. */
export type CommandName = {
  [N in OperationName]: OperationTypes[N]["kind"] extends "mutation" ? N : never;
}[OperationName];

export type CommandOutcome<N extends OperationName> =
  | { state: "done"; data: ResultOf<N>; key: string }
  | { state: "refused"; error: CombinedError; code: string | null; message: string; position: number | null; key: string }
  | { state: "queued"; key: string };

export type CommandState<N extends OperationName> = { state: "idle" } | { state: "sending"; key: string } | CommandOutcome<N>;

function outcomeOf<N extends OperationName>(result: OperationResult | null, key: string,
  params: Record<string, string>): CommandOutcome<N> {
  if (!result || (result.error && (result.error.networkError || isRetried(errorCode(result.error))))) {
    return { state: "queued", key };
  }
  if (result.error) {
    return { state: "refused", error: result.error, code: errorCode(result.error),
      message: errorMessage(result.error, params), position: refusalPosition(result.error), key };
  }
  return { state: "done", data: result.data as ResultOf<N>, key };
}

/** Codes that leave a command in the outbox to be sent again (offline.md "Answer"). */
function isRetried(code: string | null): boolean {
  return code === "UNAVAILABLE" || code === "RATE_LIMITED" || code === "UNAUTHENTICATED" ||
    (code ?? "").startsWith("PERSISTED_QUERY");
}

/** Sends the command `name`; `params` fills placeholders of the refusal's message (frontend-spec/errors.md). */
export function useCommand<N extends CommandName>(name: N) {
  const { me, token, operations } = useSession();
  const client = useClient();
  const [state, setState] = useState<CommandState<N>>({ state: "idle" });
  const send = useCallback(async (variables: VariablesOf<N>, params: Record<string, string> = {}): Promise<CommandOutcome<N>> => {
    const key = uuid();
    setState({ state: "sending", key });
    let outcome: CommandOutcome<N>;
    let queued = false;
    if (outboxAvailable) {
      try {
        await add({ key, name, variables: variables as Record<string, unknown>, actor: me.id, params,
          madeAt: Date.now(), state: "queued", tries: 0 });
        queued = true;
      } catch {
        queued = false; // IndexedDB refused (private mode, full disk): send directly below
      }
    }
    if (queued) {
      outcome = outcomeOf<N>(await submit(key), key, params);
    } else {
      const result = await client
        .mutation(operations.document(name), variables as never, commandContext(token, key))
        .toPromise();
      outcome = outcomeOf<N>(result, key, params);
      if (outcome.state === "queued") {
        // No outbox here: the command is not kept; say so with the network's message.
        outcome = { state: "refused", error: result.error!, code: null, message: errorMessage(result.error!), position: null, key };
      }
    }
    setState(outcome);
    return outcome;
  }, [client, me.id, name, operations, token]);
  return [state, send] as const;
}
