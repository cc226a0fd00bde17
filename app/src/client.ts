/**
 * The GraphQL client: urql with Graphcache (a normalized cache), persisted documents by id, HTTP for queries and
 * mutations, graphql-ws for subscriptions. The token goes in the Authorization header and in the websocket's
 * connection_init payload, never in a URL.
 */
import { Client, fetchExchange, subscriptionExchange, type OperationContext } from "@urql/core";
import { cacheExchange, type Cache, type Data, type Variables } from "@urql/exchange-graphcache";
import { persistedExchange } from "@urql/exchange-persisted";
import { createClient as createWsClient } from "graphql-ws";
import type { Operations } from "./operations";
import type { Task } from "./types";

/** Puts a task's new state (from TaskUpdated) into every cached inbox list: into the lists of its status, out of the
 * others. Graphcache replaces the task's own fields by itself (it is normalized by id). */
function placeTask(task: Task, cache: Cache, operations: Operations): void {
  const inbox = operations.document("CommitteeInbox");
  for (const field of cache.inspectFields("Query")) {
    if (field.fieldName !== "tasks") continue;
    const args = (field.arguments ?? {}) as Variables;
    if (args.after) continue; // later pages stay as they were read
    const scope = typeof args.scope === "string" ? args.scope : "";
    if (!task.communityCode.startsWith(scope)) continue;
    cache.updateQuery({ query: inbox, variables: args }, (data: Data | null) => {
      const tasks = data?.tasks as { totalCount: number; edges: { cursor: string; node: Task }[] } | undefined;
      if (!data || !tasks) return data;
      const has = tasks.edges.some((edge) => edge.node.id === task.id);
      const belongs = args.status == null || args.status === task.status;
      if (belongs && !has) {
        tasks.edges = [{ __typename: "TaskEdge", cursor: task.id, node: task } as never, ...tasks.edges];
        tasks.totalCount += 1;
      } else if (!belongs && has) {
        tasks.edges = tasks.edges.filter((edge) => edge.node.id !== task.id);
        tasks.totalCount = Math.max(0, tasks.totalCount - 1);
      }
      return data;
    });
  }
}

/** The persisted exchange: each operation is sent by its id in the manifest (found by the operation's name). */
function persisted(operations: Operations) {
  return persistedExchange({
    enforcePersistedQueries: true,
    enableForMutation: true,
    enableForSubscriptions: true,
    preferGetForPersistedQueries: false,
    generateHash: async (_query, document) => {
      const name = document.definitions.find((d) => d.kind === "OperationDefinition")?.name?.value ?? "";
      const id = operations.idOf(name);
      if (!id) throw new Error(`operation ${name} is not a persisted document`);
      return id;
    },
  });
}

/** A client without a cache, for the sign-in check (op:Me): who the token says it is, asked of the server each
 * time (op:Me selects no __typename, so it stays out of the normalized cache). */
export function makeCheckClient(token: string, operations: Operations): Client {
  return new Client({
    url: "/graphql",
    fetchOptions: { headers: { Authorization: `Bearer ${token}` }, credentials: "omit" },
    requestPolicy: "network-only",
    exchanges: [persisted(operations), fetchExchange],
  });
}

/** A client for the signed-in actor's token. */
export function makeClient(token: string, operations: Operations): Client {
  const wsUrl = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`;
  const ws = createWsClient({
    url: wsUrl,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: Infinity, // a lost connection is retried with graphql-ws's backoff, for as long as the app runs
    // The persisted id stands for the document: the empty `query` (graphql-ws checks that one is there) is not sent.
    jsonMessageReplacer: (key, value) => (key === "query" && value === "" ? undefined : value),
  });
  return new Client({
    url: "/graphql",
    fetchOptions: { headers: { Authorization: `Bearer ${token}` }, credentials: "omit" },
    preferGetMethod: false,
    exchanges: [
      cacheExchange({
        keys: { TaskConnection: () => null, TaskEdge: () => null, PageInfo: () => null, Receipt: () => null },
        updates: {
          Subscription: {
            taskUpdated(result, _args, cache) {
              placeTask(result.taskUpdated as Task, cache, operations);
            },
          },
        },
      }),
      persisted(operations),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          return {
            subscribe(sink) {
              const dispose = ws.subscribe({ ...request, query: "" }, sink as never);
              return { unsubscribe: dispose };
            },
          };
        },
      }),
    ],
  });
}

/** A random UUID (version 4). crypto.randomUUID exists only in secure contexts; getRandomValues everywhere. */
export function uuid(): string {
  if (typeof crypto.randomUUID === "function" && window.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The context of one command: its own Idempotency-Key (a UUID kept with the command), beside the token. */
export function commandContext(token: string, key: string = uuid()): Partial<OperationContext> {
  return {
    fetchOptions: {
      headers: { Authorization: `Bearer ${token}`, "Idempotency-Key": key },
      credentials: "omit",
    },
  };
}
