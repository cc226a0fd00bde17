/** One list of log events (the auditor's history and log, a refusal's record): each event's position, type, time,
 * actor, entity and request ids, and its recorded data as a readable list. Long ids wrap; a nested value is shown as
 * JSON in a box that scrolls by itself, never the page. */
import { time } from "../format";
import { t } from "../messages";
import type { LogEvent } from "../types";
import "./events.css";

function value(v: unknown): string {
  if (v === null || v === undefined || v === "") return t("event.empty");
  return typeof v === "string" ? v : JSON.stringify(v, null, 2);
}

export function EventItem({ event }: { event: LogEvent }) {
  const data = (event.data && typeof event.data === "object" ? event.data : { value: event.data }) as
    Record<string, unknown>;
  const typeName = t(`eventType.${event.type}`);
  return (
    <li class="event" data-position={event.position} data-type={event.type}>
      <p class="event-head">
        <span class="event-position">{t("event.position", { position: event.position })}</span>
        <strong>{typeName === `eventType.${event.type}` ? event.type : typeName}</strong>
        <code class="wrap">{event.type}</code>
      </p>
      <p><time dateTime={event.occurredAt}>{time(event.occurredAt)}</time></p>
      <p class="wrap">{t("event.actor", { role: t(`role.${event.actor.role}`), actor: event.actor.id })}</p>
      <p class="wrap">{t("event.entity", { type: event.entityType, id: event.entityId, version: event.version })}</p>
      {event.requestId ? <p class="wrap note">{t("event.request", { id: event.requestId })}</p> : null}
      {event.clientRequestId ? <p class="wrap note">{t("event.clientRequest", { id: event.clientRequestId })}</p>
        : null}
      <details open>
        <summary>{t("event.data")}</summary>
        <dl class="event-data">
          {Object.entries(data).map(([key, v]) => (
            <div key={key}>
              <dt>{key}</dt>
              <dd>{typeof v === "object" && v !== null ? <pre class="json">{value(v)}</pre>
                : <span class="wrap">{value(v)}</span>}</dd>
            </div>
          ))}
        </dl>
      </details>
    </li>
  );
}

export function EventList({ events }: { events: readonly LogEvent[] }) {
  return <ol class="events">{events.map((event) => <EventItem key={event.position} event={event} />)}</ol>;
}
