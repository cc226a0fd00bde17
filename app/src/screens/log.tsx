/** 日志 The log by type (auditor, P9): the events after a position, filtered by type, 100 a page (op:EventLog,
 * 加载更多 with after = the last position shown); 实时跟踪 follows new ones (op:LiveEvents after the last position
 * shown, so nothing is missed). */
import { useClient, useSubscription } from "@urql/preact";
import { useState } from "preact/hooks";
import { errorMessage } from "../errors";
import { t } from "../messages";
import { useSession } from "../state";
import type { LogEvent } from "../types";
import { EventList } from "./event-list";
import "./forms.css";
import "./log.css";

/** The event types of schema/events/. */
export const EVENT_TYPES = ["CommunityRegistered", "DutyListPublished", "ServiceAgreementSigned", "TaskDelegated",
  "TaskDelegationRefused", "TaskAccepted", "TaskDeclined", "TaskCompleted", "OrganizationRegistered", "ActivityHeld",
  "EvaluationCampaignOpened", "EvaluationCast"];
const PAGE = 100;

interface Shown {
  types: string[] | null;
  events: LogEvent[];
  more: boolean;
}

function Follow({ after, types, onEvent }: { after: number; types: string[] | null;
  onEvent: (event: LogEvent) => void }) {
  const { operations } = useSession();
  const [live] = useSubscription({ query: operations.document("LiveEvents"), variables: { after, types } },
    (_previous, data) => {
      onEvent(data.events);
      return data;
    });
  return <p class="note" aria-live="polite">{live.error ? errorMessage(live.error) : t("log.liveOn")}</p>;
}

export function LogScreen() {
  const { operations } = useSession();
  const client = useClient();
  const [types, setTypes] = useState<string[]>([]);
  const [after, setAfter] = useState("0");
  const [shown, setShown] = useState<Shown | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [follow, setFollow] = useState<number | null>(null);

  async function read(from: number, filter: string[] | null, previous: LogEvent[]) {
    setBusy(true);
    const { data, error } = await client.query(operations.document("EventLog"),
      { after: from, first: PAGE, types: filter }, { requestPolicy: "network-only" }).toPromise();
    setBusy(false);
    if (error || !data) {
      setFailure(error ? errorMessage(error) : t("error.network"));
      return;
    }
    setFailure(null);
    setShown({ types: filter, events: [...previous, ...data.eventLog], more: data.eventLog.length === PAGE });
  }

  const last = shown?.events.length ? shown.events[shown.events.length - 1].position : Number(after) || 0;
  function arrived(event: LogEvent) {
    setShown((now) => now && !now.events.some((e) => e.position === event.position)
      ? { ...now, events: [...now.events, event] } : now);
  }

  return (
    <main class="screen gov">
      <h2>{t("log.title")}</h2>
      <form class="form" onSubmit={(e) => {
        e.preventDefault();
        setFollow(null);
        void read(Math.max(0, Math.floor(Number(after) || 0)), types.length ? types : null, []);
      }}>
        <fieldset>
          <legend>{t("log.types")}</legend>
          <p class="hint">{t("log.typesHint")}</p>
          <div class="types">
            {EVENT_TYPES.map((type) => (
              <label key={type} class="choice">
                <input type="checkbox" value={type} checked={types.includes(type)}
                  onChange={(e) => setTypes((e.target as HTMLInputElement).checked ? [...types, type]
                    : types.filter((x) => x !== type))} /><span class="mark" aria-hidden="true" />
                <span>{t(`eventType.${type}`)} <code class="wrap">{type}</code></span>
              </label>
            ))}
          </div>
        </fieldset>
        <label for="log-after">{t("log.after")}</label>
        <input id="log-after" type="number" inputMode="numeric" min={0} step={1} value={after}
          onInput={(e) => setAfter((e.target as HTMLInputElement).value)} />
        <button type="submit" class="primary" disabled={busy}>{t("log.submit")}</button>
      </form>
      {failure ? <p role="alert" class="error">{failure}</p> : null}
      {busy ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {shown ? (
        <section aria-label={t("log.title")}>
          <p class="note" role="status">{t("log.count", { count: shown.events.length })}</p>
          {shown.events.length === 0 ? <p class="empty">{t("log.empty")}</p> : null}
          <EventList events={shown.events} />
          {shown.more && follow === null ? (
            <button type="button" disabled={busy} onClick={() => void read(last, shown.types, shown.events)}>
              {t("common.loadMore")}
            </button>
          ) : null}
          <label class="choice follow">
            <input type="checkbox" checked={follow !== null} disabled={shown.more}
              onChange={(e) => setFollow((e.target as HTMLInputElement).checked ? last : null)} /><span class="mark" aria-hidden="true" />
            {t("log.live")}
          </label>
          {follow !== null ? <Follow after={follow} types={shown.types} onEvent={arrived} /> : null}
        </section>
      ) : null}
    </main>
  );
}
