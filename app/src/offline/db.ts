/**
 * The phone's own database (IndexedDB, through `idb`): the outbox of commands and small metadata (the time of the
 * last network answer per actor). Graphcache keeps the normalized cache in its own database, one per actor
 * (client.ts). Nothing here holds a token (frontend-spec/sign-in.md).
 */
import { openDB, type DBSchema, type IDBPDatabase } from "idb";

/** A command in the outbox (frontend-spec/offline.md "Commands: the outbox"). */
export interface OutboxRecord {
  /** Its Idempotency-Key, made when the user tapped submit; never changes. */
  key: string;
  /** The persisted mutation's name (frontend-spec/operations/<name>.graphql). */
  name: string;
  variables: Record<string, unknown>;
  /** The actor (op:Me's id) who made it: only that actor's session sends it. */
  actor: string;
  /** The placeholders of the refusal's message (errors.md), given by the screen. */
  params: Record<string, string>;
  /** When it was made (ms since the epoch). */
  madeAt: number;
  state: "queued" | "sending" | "failed";
  /** Answers that said "try again" (INTERNAL) in a row; ten make it failed. */
  tries: number;
  /** A refusal: its code, its message in the user's words, its log position when it is on the record. */
  code?: string | null;
  message?: string;
  position?: number | null;
}

interface Schema extends DBSchema {
  outbox: { key: string; value: OutboxRecord; indexes: { madeAt: number } };
  meta: { key: string; value: unknown };
}

let opened: Promise<IDBPDatabase<Schema>> | null = null;

/** Whether this browser has IndexedDB (some in-app browsers lack it: then the app runs online only). */
export const hasIndexedDB = typeof indexedDB !== "undefined";

export function db(): Promise<IDBPDatabase<Schema>> {
  if (!opened) {
    opened = openDB<Schema>("gongzhi", 1, {
      upgrade(database) {
        const outbox = database.createObjectStore("outbox", { keyPath: "key" });
        outbox.createIndex("madeAt", "madeAt");
        database.createObjectStore("meta");
      },
    });
  }
  return opened;
}

export async function getMeta<T>(key: string): Promise<T | undefined> {
  return (await (await db()).get("meta", key)) as T | undefined;
}

export async function setMeta(key: string, value: unknown): Promise<void> {
  await (await db()).put("meta", value, key);
}
