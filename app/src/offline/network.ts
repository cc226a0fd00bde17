/**
 * Whether the data on screen is fresh: the phone's network state (navigator.onLine and whether the last request
 * reached the server) and the time of the last successful network answer, kept per actor in IndexedDB beside the
 * cache, so a reopened app knows how old its cached data is (frontend-spec/offline.md "Data on the phone").
 */
import { mapExchange, type Exchange } from "@urql/core";
import { useEffect, useState } from "preact/hooks";
import { t } from "../messages";
import { getMeta, hasIndexedDB, setMeta } from "./db";

export interface NetworkState {
  /** navigator.onLine */
  online: boolean;
  /** The last request to the server failed for want of a network (no answer at all). */
  unreachable: boolean;
  /** The last answer was an error the server gave for its own trouble (UNAVAILABLE, INTERNAL, RATE_LIMITED): data not refreshed. */
  refreshFailed: boolean;
  /** When the server last answered (ms since the epoch), or null when this actor never got an answer here. */
  lastAnswerAt: number | null;
}

let state: NetworkState = {
  online: typeof navigator === "undefined" ? true : navigator.onLine,
  unreachable: false,
  refreshFailed: false,
  lastAnswerAt: null,
};
let actor: string | null = null;
let lastWritten = 0;
const listeners = new Set<(state: NetworkState) => void>();

function update(change: Partial<NetworkState>): void {
  const next = { ...state, ...change };
  if (Object.keys(change).every((k) => next[k as keyof NetworkState] === state[k as keyof NetworkState])) return;
  state = next;
  for (const listener of listeners) listener(state);
}

if (typeof window !== "undefined") {
  window.addEventListener("online", () => update({ online: true, unreachable: false }));
  window.addEventListener("offline", () => update({ online: false }));
}

/** Follows `who`'s data: reads when its last answer came (from a previous run of the app). */
export async function followActor(who: string): Promise<void> {
  actor = who;
  update({ lastAnswerAt: null, unreachable: false, refreshFailed: false });
  if (!hasIndexedDB) return;
  const at = await getMeta<number>(`lastAnswerAt:${who}`).catch(() => undefined);
  if (actor === who && typeof at === "number" && (state.lastAnswerAt ?? 0) < at) update({ lastAnswerAt: at });
}

/** An answer came from the server. */
export function answered(): void {
  const now = Date.now();
  update({ unreachable: false, refreshFailed: false, lastAnswerAt: now });
  if (actor && hasIndexedDB && now - lastWritten > 5_000) {
    lastWritten = now;
    void setMeta(`lastAnswerAt:${actor}`, now).catch(() => undefined);
  }
}

/** A request found no network (or no server). */
export function unreachable(): void {
  update({ unreachable: true });
}

export function networkState(): NetworkState {
  return state;
}

export function useNetwork(): NetworkState {
  const [value, setValue] = useState(state);
  useEffect(() => {
    listeners.add(setValue);
    setValue(state);
    return () => void listeners.delete(setValue);
  }, []);
  return value;
}

/** The urql exchange, placed just before the network: every result here came from the server, or failed to. */
export const networkWatch: Exchange = mapExchange({
  onResult(result) {
    if (result.error?.networkError && !result.error.response) {
      unreachable();
    } else if (result.error?.networkError) {
      update({ refreshFailed: true });
    } else {
      const code = result.error?.graphQLErrors[0]?.extensions?.code;
      if (code === "UNAVAILABLE" || code === "INTERNAL" || code === "RATE_LIMITED") {
        update({ refreshFailed: true, unreachable: false });
      }
      else answered();
    }
  },
});

/** How old something is, in the catalog's words (msg:age.*). */
export function age(since: number, now: number = Date.now()): string {
  const minutes = Math.floor(Math.max(0, now - since) / 60_000);
  if (minutes < 1) return t("age.lessThanMinute");
  if (minutes < 60) return t("age.minutes", { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return t("age.hours", { n: hours });
  return t("age.days", { n: Math.floor(hours / 24) });
}
