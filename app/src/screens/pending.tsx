/** 待发送 Pending changes (every role; frontend-spec/screens.md): every command waiting in this phone's outbox, oldest
 * first, with the time it was made and its state; a failed one with the refusal's message, dismissed by the user (or
 * sent again with the same key after repeated INTERNAL answers). Commands made by another actor wait until that
 * actor signs in. A queued command is never edited or deleted here (it may have reached the server). */
import { t } from "../messages";
import { time } from "../format";
import { dismiss, retry, useOutboxState, type OutboxRecord } from "../offline/outbox";
import { useSession } from "../state";
import "./pending.css";

/** The command in words: the operation's label with the title or name it carries. */
function describe(record: OutboxRecord): string {
  const input = (record.variables.input ?? record.variables) as Record<string, unknown>;
  const key = `pending.operation.${record.name}`;
  const label = t(key, { title: String(input.title ?? ""), name: String(input.name ?? "") });
  return label === key ? t("pending.operation.other") : label;
}

function stateText(record: OutboxRecord): string {
  if (record.state === "failed") return t("state.failed");
  if (record.state === "sending") return t("state.sending");
  return t("state.queued");
}

function Row({ record, mine }: { record: OutboxRecord; mine: boolean }) {
  return (
    <li class={`pending-item ${record.state}`} data-key={record.key} data-state={record.state}>
      <strong class="wrap">{describe(record)}</strong>
      <span class="note">{t("pending.madeAt", { time: time(new Date(record.madeAt).toISOString()) })}</span>
      <span class="pending-state">{stateText(record)}</span>
      {record.state === "failed" ? (
        <>
          <p role="alert" class="error">{record.message}</p>
          {record.position != null ? <p class="note">{t("pending.position", { position: record.position })}</p> : null}
          <div class="pending-actions">
            {mine && record.code === "INTERNAL" ? (
              <button type="button" onClick={() => void retry(record.key)}>{t("pending.retry")}</button>
            ) : null}
            <button type="button" onClick={() => void dismiss(record.key)}>{t("state.dismiss")}</button>
          </div>
        </>
      ) : null}
    </li>
  );
}

export function PendingScreen() {
  const { me } = useSession();
  const { records: outbox, loaded } = useOutboxState();
  const mine = outbox.filter((r) => r.actor === me.id);
  const others = outbox.filter((r) => r.actor !== me.id);
  const byActor = new Map<string, OutboxRecord[]>();
  for (const record of others) byActor.set(record.actor, [...(byActor.get(record.actor) ?? []), record]);
  return (
    <main class="screen pending">
      <h2>{t("pending.title")}</h2>
      {!loaded ? <p aria-busy="true">{t("common.loading")}</p> : mine.length === 0 ? <p class="empty">{t("pending.empty")}</p> : (
        <ul class="pending-list">{mine.map((record) => <Row key={record.key} record={record} mine />)}</ul>
      )}
      {others.length > 0 ? (
        <section aria-labelledby="pending-others">
          <h3 id="pending-others">{t("pending.others")}</h3>
          {[...byActor].map(([actor, records]) => (
            <div key={actor}>
              <p class="note wrap">{t("signIn.queuedForOther", { count: records.length, actor })}</p>
              <ul class="pending-list">{records.map((record) => <Row key={record.key} record={record} mine={false} />)}</ul>
            </div>
          ))}
        </section>
      ) : null}
    </main>
  );
}
