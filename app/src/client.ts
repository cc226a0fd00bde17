/**
 * The GraphQL client: urql with Graphcache (a normalized cache) and its offline exchange, persisted documents by
 * id, HTTP for queries and mutations, graphql-ws for subscriptions. The token goes in the Authorization header and
 * in the websocket's connection_init payload, never in a URL.
 *
 * Offline (frontend-spec/offline.md): the cache is kept in IndexedDB, one database per actor
 * (`gongzhi-cache-<actor id>`, so two actors on one phone never share data; cleared at sign-out), and a query that
 * finds no network is answered from it. Mutations are never queued by Graphcache (no optimistic updates): commands
 * wait in the app's own outbox, each with its Idempotency-Key (offline/outbox.ts).
 */
import { Client, fetchExchange, subscriptionExchange, type OperationContext } from "@urql/core";
import { cacheExchange, offlineExchange, type Cache, type Data, type Variables } from "@urql/exchange-graphcache";
import { makeDefaultStorage, type DefaultStorage } from "@urql/exchange-graphcache/default-storage";
import { persistedExchange } from "@urql/exchange-persisted";
import { createClient as createWsClient } from "graphql-ws";
import { hasIndexedDB } from "./offline/db";
import { networkWatch } from "./offline/network";
import { flush } from "./offline/outbox";
import type { Operations } from "./operations";
import type { Activity, Task } from "./types";

/** The types without an id of their own, or whose id is unique only within their parent (a campaign's target:
 * two campaigns may both name a target "office", P26): embedded in their parent in the cache (Graphcache's `keys`). */
const EMBEDDED = ["ActivityConnection", "ActivityEdge", "ActivityResult", "AgreementResult", "BurdenReport",
  "BallotCheck", "CampaignResult", "CommunityConnection", "CommunityEdge", "CommunityResult", "DutyItem", "EvaluationTarget",
  "EvaluationCampaignConnection", "EvaluationCampaignEdge", "Event", "OrganizationConnection", "OrganizationEdge",
  "OrganizationResult", "PageInfo", "Receipt", "ServiceAgreementConnection", "ServiceAgreementEdge", "TargetResult",
  "TaskConnection", "TaskEdge", "TaskResult",
  // Issue 9 (burden reduction, P1, P4–P11): figures, refusals and records without an id of their own.
  "ActedBy", "Appraisal", "BurdenAlert", "CommunityBurden", "DepartmentBurden", "Disbursement", "InspectionBodyCount",
  "InspectionCap", "InspectionCapResult", "InspectionConnection", "InspectionCount", "InspectionCountConnection",
  "InspectionCountEdge", "InspectionEdge", "InspectionResult", "LedgerDemandResult", "PostResult",
  "RecordAppraisalResult", "Refusal", "RefusalConnection", "RefusalEdge", "SealUseConnection", "SealUseEdge",
  "SealUseResult", "SignboardResult", "StaffResult", "TargetContract", "TargetContractResult", "WorkBodyResult"];

const storages = new Map<string, DefaultStorage>();

/** The IndexedDB storage of `actor`'s cache (kept 30 days). */
function storageOf(actor: string): DefaultStorage | undefined {
  if (!hasIndexedDB) return undefined;
  let storage = storages.get(actor);
  if (!storage) {
    storage = makeDefaultStorage({ idbName: `gongzhi-cache-${actor}`, maxAge: 30 });
    storages.set(actor, storage);
  }
  return storage;
}

/** Drops `actor`'s cached data (sign-out: another actor must not see it). */
export async function clearCache(actor: string): Promise<void> {
  const storage = storageOf(actor);
  try {
    await storage?.clear();
  } catch {
    // nothing cached
  }
}

/** Puts a new activity (from RecordActivity's answer or ActivityRecorded) at the head of the cached lists of its
 * community's activities (`activities(scope)`, as op:CommunityActivities reads it). */
function placeActivity(activity: Activity | null | undefined, cache: Cache, operations: Operations): void {
  if (!activity) return;
  const query = operations.document("CommunityActivities");
  for (const field of cache.inspectFields("Query")) {
    if (field.fieldName !== "activities") continue;
    const args = (field.arguments ?? {}) as Variables;
    if (args.after) continue; // later pages stay as they were read
    const scope = typeof args.scope === "string" ? args.scope : "";
    if (!activity.communityCode.startsWith(scope)) continue;
    cache.updateQuery({ query, variables: args as never }, (data: Data | null) => {
      const list = data?.activities as { totalCount: number; edges: { node: Activity }[] } | undefined;
      if (!data || !list || list.edges.some((edge) => edge.node.id === activity.id)) return data;
      const node = { __typename: "Activity", id: activity.id, title: activity.title, organizerId: activity.organizerId,
        heldAt: activity.heldAt, participants: activity.participants, volunteerHours: activity.volunteerHours };
      list.edges = [{ __typename: "ActivityEdge", node } as never, ...list.edges];
      list.totalCount += 1;
      return data;
    });
  }
}

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

/** A client for the signed-in actor's token; `actor` (its id) names the cache's database. */
export function makeClient(token: string, operations: Operations, actor: string): Client {
  const wsUrl = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`;
  const ws = createWsClient({
    url: wsUrl,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: Infinity, // a lost connection is retried with graphql-ws's backoff, for as long as the app runs
    shouldRetry: () => true,
    // The server is reachable again: the outbox sends what waits (offline.md "Send").
    on: { connected: () => void flush() },
    // The persisted id stands for the document: the empty `query` (graphql-ws checks that one is there) is not sent.
    jsonMessageReplacer: (key, value) => (key === "query" && value === "" ? undefined : value),
  });
  const keys = Object.fromEntries(EMBEDDED.map((name) => [name, () => null]));
  const config = {
    keys: { ...keys, Community: (data: Data) => (data.code as string | undefined) ?? null },
    updates: {
      Subscription: {
        taskUpdated(result: Data, _args: Variables, cache: Cache) {
          placeTask(result.taskUpdated as Task, cache, operations);
        },
        activityRecorded(result: Data, _args: Variables, cache: Cache) {
          placeActivity(result.activityRecorded as Activity, cache, operations);
        },
      },
      Mutation: {
        recordActivity(result: Data, _args: Variables, cache: Cache) {
          placeActivity((result.recordActivity as { activity?: Activity } | null)?.activity, cache, operations);
        },
      },
    },
  };
  const storage = storageOf(actor);
  // Graphcache keeps what arrives while it reads its IndexedDB in a layer it does not persist: the screens query
  // once it has read it (`hydrated`), at most 2 s later.
  const ready = storage
    ? new Promise<void>((resolve) => { storage.onCacheHydrated = resolve; setTimeout(resolve, 2_000); })
    : Promise.resolve();
  const client = new Client({
    url: "/graphql",
    fetchOptions: { headers: { Authorization: `Bearer ${token}` }, credentials: "omit" },
    preferGetMethod: false,
    exchanges: [
      storage ? offlineExchange({ ...config, storage }) : cacheExchange(config),
      persisted(operations),
      networkWatch,
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
  hydrations.set(client, ready);
  return client;
}

const hydrations = new WeakMap<Client, Promise<void>>();

/** Resolves once `client`'s cache has read what the phone kept (IndexedDB), so what the screens then read is kept. */
export function hydrated(client: Client): Promise<void> {
  return hydrations.get(client) ?? Promise.resolve();
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
