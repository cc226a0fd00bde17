/** 活动 / 记录活动 Record activity (P22, P34; screens.md COMMITTEE; also PARTY_COMMITTEE, STREET_OFFICE,
 * SOCIAL_ORGANIZATION): the community's recent activities (op:CommunityActivities, new ones live through
 * op:ActivityRecorded; the cache puts each at the head of the list), and a form: name, time, participants, optional
 * organizer, volunteers with hours → op:RecordActivity through the outbox (offline: queued, shown at the head of the
 * list with msg:state.queued until it is sent). A scope broader than one community picks the community first
 * (op:Communities). */
import { useQuery, useSubscription } from "@urql/preact";
import { useState } from "preact/hooks";
import { useCommand } from "../commands";
import { errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import { useOutbox } from "../offline/outbox";
import { useSession } from "../state";
import { isoFromLocal, localValue, ownCommunity, refusalMessage, refusedField } from "./fields";
import "./activity.css";

interface Volunteer {
  volunteerId: string;
  hours: string;
}

export function ActivityScreen() {
  const { me, operations } = useSession();
  const own = ownCommunity(me.scope);
  const [picked, setPicked] = useState("");
  const code = own ?? picked;
  const [{ data: communities }] = useQuery({
    query: operations.document("Communities"), variables: { scope: me.scope, first: 100 }, pause: Boolean(own),
  });
  useSubscription({ query: operations.document("ActivityRecorded"), variables: { scope: code }, pause: !code });
  const [{ data, error, fetching }, reread] = useQuery({
    query: operations.document("CommunityActivities"), variables: { scope: code, first: 20 }, pause: !code,
  });
  const outbox = useOutbox();
  const queued = outbox.filter((r) => r.actor === me.id && r.name === "RecordActivity" && r.state !== "failed"
    && (r.variables.input as { communityCode?: string } | undefined)?.communityCode === code);

  const [recording, record] = useCommand("RecordActivity");
  const [title, setTitle] = useState("");
  const [heldAt, setHeldAt] = useState(localValue(new Date()));
  const [participants, setParticipants] = useState("");
  const [organizer, setOrganizer] = useState(me.role === "SOCIAL_ORGANIZATION" ? me.id : "");
  const [volunteers, setVolunteers] = useState<Volunteer[]>([]);
  const [said, setSaid] = useState<string | null>(null);

  const refused = recording.state === "refused" ? recording : null;
  const field = refused ? refusedField(refused.error) ?? "" : "";
  const fieldError = (name: string) => (refused && field.includes(name)
    ? <p id={`activity-${name}-error`} class="field-error" role="alert">{refusalMessage(refused)}</p> : null);

  async function submit(event: Event) {
    event.preventDefault();
    const at = isoFromLocal(heldAt);
    if (!code || !title.trim() || !at) return;
    setSaid(null);
    const outcome = await record({ input: {
      communityCode: code, title: title.trim(), heldAt: at, participants: Number(participants || "0"),
      organizerId: organizer.trim() || null,
      volunteerHours: volunteers.filter((v) => v.volunteerId.trim())
        .map((v) => ({ volunteerId: v.volunteerId.trim(), hours: Number(v.hours || "0") })),
    } });
    if (outcome.state === "refused") return;
    setSaid(outcome.state === "done" ? t("activity.recorded") : t("activity.queued"));
    setTitle("");
    setParticipants("");
    setVolunteers([]);
    setHeldAt(localValue(new Date()));
  }

  const activities = data?.activities.edges.map((edge) => edge.node) ?? [];
  const busy = recording.state === "sending";
  return (
    <main class="screen activity">
      <h2>{t("activity.title")}</h2>
      {!own ? (
        <div class="form">
          <label for="activity-community">{t("activity.community")}</label>
          <select id="activity-community" value={picked} onChange={(e) => setPicked((e.target as HTMLSelectElement).value)}>
            <option value="">{t("activity.pickCommunity")}</option>
            {(communities?.communities.edges ?? []).map(({ node }) => (
              <option key={node.code} value={node.code}>{node.name}（{node.code}）</option>
            ))}
          </select>
        </div>
      ) : null}
      <form class="form" onSubmit={submit}>
        <label for="activity-title">{t("activity.name")}</label>
        <input id="activity-title" required maxLength={200} value={title} autocomplete="off"
          aria-describedby="activity-title-error" onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
        {fieldError("title")}
        <label for="activity-heldAt">{t("activity.heldAt")}</label>
        <input id="activity-heldAt" type="datetime-local" required value={heldAt}
          onInput={(e) => setHeldAt((e.target as HTMLInputElement).value)} />
        {fieldError("heldAt")}
        <label for="activity-participants">{t("activity.participants")}</label>
        <input id="activity-participants" type="number" inputMode="numeric" min={0} required
          value={participants} onInput={(e) => setParticipants((e.target as HTMLInputElement).value)} />
        {fieldError("participants")}
        <label for="activity-organizer">{t("activity.organizer")}</label>
        <input id="activity-organizer" value={organizer} autocomplete="off" aria-describedby="activity-organizer-hint"
          onInput={(e) => setOrganizer((e.target as HTMLInputElement).value)} />
        <p id="activity-organizer-hint" class="hint">{t("activity.organizerHint")}</p>
        <fieldset>
          <legend>{t("activity.volunteers")}</legend>
          {volunteers.map((v, i) => (
            <div class="volunteer" key={i}>
              <div>
                <label for={`volunteer-${i}`}>{t("activity.volunteer", { n: i + 1 })} {t("activity.volunteerId")}</label>
                <input id={`volunteer-${i}`} value={v.volunteerId} autocomplete="off"
                  onInput={(e) => setVolunteers(volunteers.map((w, j) => (j === i
                    ? { ...w, volunteerId: (e.target as HTMLInputElement).value } : w)))} />
              </div>
              <div>
                <label for={`hours-${i}`}>{t("activity.hours")}</label>
                <input id={`hours-${i}`} type="number" inputMode="decimal" min={0} max={744} step="0.5" value={v.hours}
                  onInput={(e) => setVolunteers(volunteers.map((w, j) => (j === i
                    ? { ...w, hours: (e.target as HTMLInputElement).value } : w)))} />
              </div>
              <button type="button" onClick={() => setVolunteers(volunteers.filter((_, j) => j !== i))}>
                {t("activity.volunteerRemove")}
              </button>
            </div>
          ))}
          {fieldError("volunteerHours")}
          <button type="button" onClick={() => setVolunteers([...volunteers, { volunteerId: "", hours: "" }])}>
            {t("activity.addVolunteer")}
          </button>
        </fieldset>
        {refused && !["title", "heldAt", "participants", "volunteerHours"].some((f) => field.includes(f)) ? (
          <p role="alert" class="field-error">{refusalMessage(refused)}</p>
        ) : null}
        <button type="submit" class="primary" disabled={busy || !code}>{t("activity.title")}</button>
        <p class="note" role="status">{said ?? ""}</p>
      </form>

      <h3 id="activity-recent">{t("activity.recent")}</h3>
      {error ? (
        <div role="alert" class="error">
          <p>{errorMessage(error)}</p>
          <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.retry")}</button>
        </div>
      ) : null}
      {fetching && !data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      <ul class="activities" aria-labelledby="activity-recent">
        {queued.map((r) => {
          const input = r.variables.input as { title: string; heldAt: string; participants: number };
          return (
            <li key={r.key} class="activity-row queued" data-key={r.key}>
              <strong class="wrap">{input.title}</strong>
              <span>{time(input.heldAt)} · {t(r.state === "sending" ? "state.sending" : "state.queued")}</span>
            </li>
          );
        })}
        {activities.map((a) => (
          <li key={a.id} class="activity-row" data-activity={a.id}>
            <strong class="wrap">{a.title}</strong>
            <span>{t("activity.row", { time: time(a.heldAt), participants: a.participants, hours: a.volunteerHours })}</span>
          </li>
        ))}
      </ul>
      {data && activities.length === 0 && queued.length === 0 ? <p class="empty">{t("activity.empty")}</p> : null}
    </main>
  );
}
