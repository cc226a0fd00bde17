/** 某时状态 State as of a time (auditor, P9): an entity id and a moment (the phone's local time, sent with its
 * offset) → the entity's state as it stood then (op:EntityAsOf), as JSON in a box that scrolls by itself; `null` is
 * "it did not exist yet". */
import { useQuery } from "@urql/preact";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import { useSession } from "../state";
import "./forms.css";
import "./events.css";

/** A datetime-local value (the phone's local time) as an instant with its offset. */
export function instant(local: string): string {
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

export function AsOfScreen() {
  const { operations } = useSession();
  const { query } = useLocation();
  const [entity, setEntity] = useState(query.entity ?? "");
  const [moment, setMoment] = useState(query.at ?? "");
  // `?entity=<id>&at=<local time>` opens the answer at once (a link from elsewhere, the screenshots).
  const [asked, setAsked] = useState<{ entityId: string; asOf: string } | null>(
    query.entity && query.at && instant(query.at) ? { entityId: query.entity.trim(), asOf: instant(query.at) } : null);
  const [{ data, error, fetching }] = useQuery({
    query: operations.document("EntityAsOf"), variables: asked ?? { entityId: "", asOf: "" }, pause: !asked,
    requestPolicy: "network-only",
  });
  const state = data?.entityAsOf;
  return (
    <main class="screen gov">
      <h2>{t("asOf.title")}</h2>
      <form class="form" onSubmit={(e) => {
        e.preventDefault();
        const asOf = instant(moment);
        if (entity.trim() && asOf) setAsked({ entityId: entity.trim(), asOf });
      }}>
        <label for="as-of-entity">{t("asOf.entity")}</label>
        <input id="as-of-entity" required autocomplete="off" spellcheck={false} value={entity}
          onInput={(e) => setEntity((e.target as HTMLInputElement).value)} />
        <label for="as-of-time">{t("asOf.time")}</label>
        <input id="as-of-time" type="datetime-local" step={1} required value={moment}
          onInput={(e) => setMoment((e.target as HTMLInputElement).value)} />
        {error ? <p role="alert" class="field-error">{errorMessage(error)}</p> : null}
        <button type="submit" class="primary">{t("asOf.submit")}</button>
      </form>
      {fetching ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {asked && data && !fetching ? (
        <section aria-labelledby="as-of-state" data-as-of={asked.asOf}>
          <h3 id="as-of-state">{t("asOf.state", { time: time(asked.asOf) })}</h3>
          {state === null || state === undefined ? <p class="empty">{t("asOf.none")}</p>
            : <pre class="json" tabIndex={0} aria-labelledby="as-of-state">{JSON.stringify(state, null, 2)}</pre>}
        </section>
      ) : null}
    </main>
  );
}
