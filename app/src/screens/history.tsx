/** 实体历史 History (auditor; also a refusal's record for the street office and department, P1, P9): an entity id or
 * a 12-digit community code → every event of it, oldest first (op:EntityHistory). `?entity=<id>` opens it at once
 * (the refusal card's 查看记录 link). */
import { useQuery } from "@urql/preact";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { errorMessage } from "../errors";
import { t } from "../messages";
import { useSession } from "../state";
import { EventList } from "./event-list";
import "./forms.css";

export function HistoryScreen() {
  const { operations } = useSession();
  const { query } = useLocation();
  const [field, setField] = useState(query.entity ?? "");
  const [entity, setEntity] = useState((query.entity ?? "").trim());
  const [{ data, error, fetching }] = useQuery({
    query: operations.document("EntityHistory"), variables: { entityId: entity }, pause: !entity,
    requestPolicy: "network-only",
  });
  const events = data?.history ?? [];
  return (
    <main class="screen gov">
      <h2>{t("history.title")}</h2>
      <form class="form" onSubmit={(e) => { e.preventDefault(); setEntity(field.trim()); }}>
        <label for="history-entity">{t("history.entity")}</label>
        <input id="history-entity" required autocomplete="off" spellcheck={false} value={field}
          aria-describedby={error ? "history-error" : undefined}
          onInput={(e) => setField((e.target as HTMLInputElement).value)} />
        {error ? <p id="history-error" role="alert" class="field-error">{errorMessage(error)}</p> : null}
        <button type="submit" class="primary">{t("history.submit")}</button>
      </form>
      {fetching ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {data && !fetching && events.length === 0 ? <p class="empty">{t("history.empty")}</p> : null}
      {events.length ? <p class="note" role="status">{t("history.count", { count: events.length })}</p> : null}
      <EventList events={events} />
    </main>
  );
}
