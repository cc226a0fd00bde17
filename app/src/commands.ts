/**
 * Commands (mutations) as the screens send them: `useCommand("RecordActivity")` gives the command's state and a
 * `send(variables)`. Every command carries its own Idempotency-Key (a UUID made once per command, kept with it),
 * so a repeat reaches the log at most once (frontend-spec/offline.md).
 *
 * The outcome tells the screen what to show: `done` (the server's answer), `refused` (a GraphQL error: its code, its
 * message in the user's words, and the refusal's log position when the refusal is on the record), or `queued` (no
 * network: the command waits in the phone's outbox and is sent once online; the pending screen shows it).
 */
import type { CombinedError } from "@urql/core";
import { useClient } from "@urql/preact";
import { useCallback, useState } from "preact/hooks";
import { commandContext, uuid } from "./client";
import { errorCode, errorMessage } from "./errors";
import type { OperationTypes } from "./generated/graphql";
import type { OperationName, ResultOf, VariablesOf } from "./operations";
import { useSession } from "./state";

/** The operations that are mutations. */
export type CommandName = {
  [N in OperationName]: OperationTypes[N]["kind"] extends "mutation" ? N : never;
}[OperationName];

export type CommandOutcome<N extends OperationName> =
  | { state: "done"; data: ResultOf<N>; key: string }
  | { state: "refused"; error: CombinedError; code: string | null; message: string; position: number | null; key: string }
  | { state: "queued"; key: string };

export type CommandState<N extends OperationName> = { state: "idle" } | { state: "sending"; key: string } | CommandOutcome<N>;

/** A refusal's position in the log (extensions.position), when the server recorded the refusal as an event. */
export function refusalPosition(error: CombinedError): number | null {
  const position = error.graphQLErrors[0]?.extensions?.position;
  return typeof position === "number" ? position : typeof position === "string" ? Number(position) : null;
}

/** Sends the command `name`; `params` fills placeholders of the refusal's message (frontend-spec/errors.md). */
export function useCommand<N extends CommandName>(name: N) {
  const { token, operations } = useSession();
  const client = useClient();
  const [state, setState] = useState<CommandState<N>>({ state: "idle" });
  const send = useCallback(async (variables: VariablesOf<N>, params: Record<string, string> = {}): Promise<CommandOutcome<N>> => {
    const key = uuid();
    setState({ state: "sending", key });
    const result = await client
      .mutation(operations.document(name), variables as never, commandContext(token, key))
      .toPromise();
    let outcome: CommandOutcome<N>;
    if (result.error) {
      outcome = { state: "refused", error: result.error, code: errorCode(result.error),
        message: errorMessage(result.error, params), position: refusalPosition(result.error), key };
    } else {
      outcome = { state: "done", data: result.data as ResultOf<N>, key };
    }
    setState(outcome);
    return outcome;
  }, [client, name, operations, token]);
  return [state, send] as const;
}
