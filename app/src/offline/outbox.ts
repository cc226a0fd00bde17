/**
 * The outbox (frontend-spec/offline.md "Commands: the outbox"): every command is written to IndexedDB with its own
 * Idempotency-Key BEFORE it is sent, then sent oldest first, one at a time, by one tab (a Web Lock), while its actor
 * is signed in. An answer removes it (data) or marks it failed (a refusal, with the message in the user's words); no
 * answer keeps it queued, to be sent again with the same key on `online`, at the app's start, and with backoff
 * (1 s doubling to 60 s). A record left "sending" by a crash is sent again with its key: the server answers a
 * repeated key with its first answer and appends nothing (README "Idempotent commands"), so each command reaches
 * the log exactly once.
 */
import { CombinedError, type OperationResult } from "@urql/core";
import { useEffect, useState } from "preact/hooks";
import { errorCode, errorMessage } from "../errors";
import { t } from "../messages";
import { fieldLabel, refusedField } from "../screens/fields";
import { db, hasIndexedDB, type OutboxRecord } from "./db";

export type { OutboxRecord };

/** Sends one record (with its key as Idempotency-Key); resolves to the server's result, or throws without one. */
export type SendRecord = (record: OutboxRecord) => Promise<OperationResult>;

const LOCK = "gongzhi-outbox";
const MAX_INTERNAL = 10;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;

let sender: { actor: string; send: SendRecord } | null = null;
let running: Promise<void> | null = null;
let rerun = false;
let backoff = FIRST_BACKOFF_MS;
let timer: ReturnType<typeof setTimeout> | null = null;
const waiting = new Map<string, (result: OperationResult | null) => void>();
const listeners = new Set<() => void>();
const channel = typeof BroadcastChannel !== "undefined" ? new BroadcastChannel(LOCK) : null;

function notify(broadcast = true): void {
  for (const listener of listeners) listener();
  if (broadcast) channel?.postMessage("changed");
}
if (channel) channel.onmessage = () => notify(false);

/** Whether this browser can keep an outbox (IndexedDB); without it commands are sent directly (online only). */
export const outboxAvailable = hasIndexedDB;

/** Every record of the outbox, oldest first. */
export async function records(): Promise<OutboxRecord[]> {
  return (await db()).getAllFromIndex("outbox", "madeAt");
}

/**
 * Writes a new record. A command on an entity that already has a queued command takes as expectedVersion the
 * version the earlier one leaves (one more), so an accept and a complete made offline both go through in order.
 */
export async function add(record: OutboxRecord): Promise<OutboxRecord> {
  const database = await db();
  const variables = { ...record.variables };
  if (typeof variables.id === "string" && typeof variables.expectedVersion === "number") {
    for (const earlier of await database.getAllFromIndex("outbox", "madeAt")) {
      if (earlier.actor === record.actor && earlier.state !== "failed" && earlier.variables.id === variables.id
          && typeof earlier.variables.expectedVersion === "number") {
        variables.expectedVersion = Math.max(variables.expectedVersion as number,
          (earlier.variables.expectedVersion as number) + 1);
      }
    }
  }
  const written = { ...record, variables };
  await database.put("outbox", written);
  notify();
  return written;
}

/** Removes a failed record the user has read (a queued one is never removed: it may have reached the server). */
export async function dismiss(key: string): Promise<void> {
  const database = await db();
  const record = await database.get("outbox", key);
  if (record?.state === "failed") await database.delete("outbox", key);
  notify();
}

/** Queues a failed record again, with the same key (offered after repeated INTERNAL answers). */
export async function retry(key: string): Promise<void> {
  const database = await db();
  const record = await database.get("outbox", key);
  if (record?.state === "failed") await database.put("outbox", { ...record, state: "queued", tries: 0 });
  notify();
  void flush();
}

/** What an answer means for a record: done, refused (on the record, failed), or try again later. */
function verdict(result: OperationResult | null, tries: number): "done" | "refused" | "again" | "gaveUp" {
  if (!result || result.error?.networkError) return "again";
  if (!result.error) return "done";
  const code = errorCode(result.error);
  if (code === "INTERNAL") return tries + 1 >= MAX_INTERNAL ? "gaveUp" : "again";
  if (code === null || code === "UNAVAILABLE" || code === "RATE_LIMITED" || code === "UNAUTHENTICATED" ||
      code.startsWith("PERSISTED_QUERY")) {
    return "again";
  }
  return "refused";
}

function resolve(key: string, result: OperationResult | null): void {
  const done = waiting.get(key);
  if (done) {
    waiting.delete(key);
    done(result);
  }
}

function schedule(): void {
  if (timer || !sender) return;
  timer = setTimeout(() => {
    timer = null;
    void flush();
  }, backoff);
  backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
}

/** Sends the signed-in actor's records, oldest first, until one gets no answer. */
async function drain(): Promise<void> {
  const current = sender;
  if (!current) return;
  const database = await db();
  const keys = (await database.getAllFromIndex("outbox", "madeAt"))
    .filter((r) => r.actor === current.actor && r.state !== "failed").map((r) => r.key);
  for (const key of keys) {
    if (sender !== current) return;
    if (!navigator.onLine) return; // the `online` event sends them
    const record = await database.get("outbox", key);
    if (!record || record.state === "failed") continue; // another tab answered it meanwhile
    await database.put("outbox", { ...record, state: "sending" });
    notify();
    let result: OperationResult | null = null;
    try {
      result = await current.send(record);
    } catch {
      result = null;
    }
    const what = verdict(result, record.tries);
    if (what === "done") {
      await database.delete("outbox", key);
      backoff = FIRST_BACKOFF_MS;
    } else if (what === "refused" || what === "gaveUp") {
      const error = result!.error!;
      await database.put("outbox", { ...record, state: "failed", tries: record.tries + 1, code: errorCode(error),
        message: refusalWords(error, record.params), position: refusalPosition(error) });
    } else {
      const internal = result?.error && errorCode(result.error) === "INTERNAL";
      await database.put("outbox", { ...record, state: "queued", tries: internal ? record.tries + 1 : record.tries });
    }
    notify();
    resolve(key, what === "again" ? null : result);
    if (what === "again") {
      schedule();
      return;
    }
  }
}

/** A refusal in the user's words, INVALID_INPUT naming its field as the form labels it (msg:form.field.*). */
function refusalWords(error: CombinedError, params: Record<string, string>): string {
  if (errorCode(error) === "INVALID_INPUT") return t("error.INVALID_INPUT", { field: fieldLabel(refusedField(error)) });
  return errorMessage(error, params);
}

/** A refusal's position in the log (extensions.position), when the server recorded the refusal as an event. */
export function refusalPosition(error: CombinedError): number | null {
  const position = error.graphQLErrors[0]?.extensions?.position;
  return typeof position === "number" ? position : typeof position === "string" ? Number(position) : null;
}

/** Sends what waits, in this tab if no other tab is sending (navigator.locks; without it, this tab). */
export function flush(): Promise<void> {
  if (!sender || !outboxAvailable) return Promise.resolve();
  if (running) {
    rerun = true;
    return running;
  }
  if (timer) {
    clearTimeout(timer);
    timer = null;
  }
  running = (async () => {
    do {
      rerun = false;
      try {
        if (navigator.locks) {
          await navigator.locks.request(LOCK, { ifAvailable: true }, async (lock) => {
            if (lock) await drain();
            else schedule(); // another tab is sending; look again later
          });
        } else {
          await drain();
        }
      } catch {
        schedule();
      }
    } while (rerun);
  })().finally(() => {
    running = null;
  });
  return running;
}

/**
 * Sends the record `key` (after the older ones) and resolves to its answer, or to null when it stays queued
 * (offline, no answer, or another tab sends it).
 */
export async function submit(key: string): Promise<OperationResult | null> {
  const answer = new Promise<OperationResult | null>((done) => waiting.set(key, done));
  await flush();
  resolve(key, null); // not answered in this round: it waits in the outbox
  return answer;
}

/** Starts sending `actor`'s records with `send` (at sign-in); returns the function that stops it (sign-out). */
export function attach(actor: string, send: SendRecord): () => void {
  const mine = { actor, send };
  sender = mine;
  backoff = FIRST_BACKOFF_MS;
  const online = () => {
    backoff = FIRST_BACKOFF_MS;
    void flush();
  };
  window.addEventListener("online", online);
  void flush();
  return () => {
    window.removeEventListener("online", online);
    if (sender === mine) sender = null;
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
  };
}

/** The outbox as it is now, re-read whenever it changes (in this tab or another); `loaded` is false until the first
 * read (so a screen does not say "nothing pending" before it looked). */
export function useOutboxState(): { records: OutboxRecord[]; loaded: boolean } {
  const [state, setState] = useState<{ records: OutboxRecord[]; loaded: boolean }>({ records: [], loaded: !outboxAvailable });
  useEffect(() => {
    if (!outboxAvailable) return;
    let live = true;
    const read = () => void records().then((r) => live && setState({ records: r, loaded: true }), () => undefined);
    listeners.add(read);
    read();
    return () => {
      live = false;
      listeners.delete(read);
    };
  }, []);
  return state;
}

/** The outbox's records as they are now (empty until read). */
export function useOutbox(): OutboxRecord[] {
  return useOutboxState().records;
}

/** A CombinedError for a refusal read back from the outbox (its code and message only). */
export function storedError(record: OutboxRecord): CombinedError {
  return new CombinedError({ graphQLErrors: [{ message: record.message ?? "", extensions: { code: record.code } }] });
}
