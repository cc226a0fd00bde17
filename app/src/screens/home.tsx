/** 社区首页 Community home (P3, P22, P28): the community's published duty lists by kind with their version, its
 * counts, recent activities and organizations; new activities and organizations arrive live (op:ActivityRecorded,
 * op:OrganizationRegistered). The same screen for RESIDENT, COMMITTEE, PARTY_COMMITTEE and SOCIAL_ORGANIZATION; the
 * roles that may act get their buttons (记录活动, 社会组织备案). */
import { useQuery, useSubscription } from "@urql/preact";
import { useState } from "preact/hooks";
import { errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import type { ResultOf } from "../operations";
import { useSession } from "../state";
import { ownCommunity } from "./fields";
import { filedIn } from "./recent";
import { ElderSwitch } from "./settings";
import "./parts.css";
import "./home.css";

type Home = ResultOf<"CommunityHome">;
type Activity = Home["activities"]["edges"][number]["node"] & { communityCode?: string };
type Organization = Home["organizations"]["edges"][number]["node"];
type DutyItem = NonNullable<Home["community"]>["dutyItems"][number];

const LISTS = ["SELF_GOVERNANCE", "ASSIST_GOVERNMENT"] as const;
const PAGE = 20;

/** The links a role's home offers (paths under /app, message keys of their labels). */
export interface HomeAction {
  path: string;
  label: string;
}

/** A home with the given buttons: `homeWith([...])` makes the component a role declares in roles.tsx. */
export function homeWith(actions: HomeAction[]) {
  return function RoleHome() {
    return <CommunityHome actions={actions} />;
  };
}

export function CommunityHome({ actions = [] }: { actions?: HomeAction[] }) {
  const { me } = useSession();
  const [picked, setPicked] = useState<string | null>(ownCommunity(me.scope));
  if (!picked) return <PickCommunity onPick={setPicked} />;
  return <HomeOf code={picked} actions={actions} />;
}

/** A resident whose scope is broader than one community first picks one (op:Communities). */
function PickCommunity({ onPick }: { onPick: (code: string) => void }) {
  const { me, operations } = useSession();
  const [{ data, error, fetching }, reread] = useQuery({
    query: operations.document("Communities"), variables: { scope: me.scope },
  });
  const communities = data?.communities.edges.map((edge) => edge.node) ?? [];
  return (
    <main class="screen home">
      <h2>{t("home.pickCommunity")}</h2>
      {fetching && !data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {error ? (
        <div role="alert" class="error">
          <p>{errorMessage(error)}</p>
          <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.retry")}</button>
        </div>
      ) : null}
      {data && communities.length === 0 ? <p class="empty">{t("communities.empty")}</p> : null}
      <ul class="plain">
        {communities.map((community) => (
          <li key={community.code}>
            <button type="button" class="row" onClick={() => onPick(community.code)}>
              <strong>{community.name}</strong>
              <span>{community.code} · {t(`communityKind.${community.kind}`)}</span>
            </button>
          </li>
        ))}
      </ul>
    </main>
  );
}

function HomeOf({ code, actions }: { code: string; actions: HomeAction[] }) {
  const { operations } = useSession();
  const [first, setFirst] = useState(PAGE);
  // Subscribe first, then query: what arrives while the query runs is merged in by id.
  const [liveActivities] = useSubscription(
    { query: operations.document("ActivityRecorded"), variables: { scope: code } },
    (arrived: Activity[] = [], data) => [data.activityRecorded, ...arrived.filter((a) => a.id !== data.activityRecorded.id)],
  );
  const [liveOrganizations] = useSubscription(
    { query: operations.document("OrganizationRegistered"), variables: { scope: code } },
    (arrived: Organization[] = [], data) =>
      [data.organizationRegistered, ...arrived.filter((o) => o.id !== data.organizationRegistered.id)],
  );
  const [{ data, error, fetching }, reread] = useQuery({
    query: operations.document("CommunityHome"), variables: { code, scope: code, first },
    requestPolicy: "cache-and-network", // refreshed on open (the cached home first, offline too)
  });
  const community = data?.community;
  const listedActivities = data?.activities.edges.map((edge) => edge.node) ?? [];
  const listedOrganizations = data?.organizations.edges.map((edge) => edge.node) ?? [];
  const freshActivities = (liveActivities.data ?? []).filter((a) => !listedActivities.some((l) => l.id === a.id));
  const arrivedOrganizations = [...(liveOrganizations.data ?? []),
    ...filedIn(code).filter((o) => !(liveOrganizations.data ?? []).some((l) => l.id === o.id))];
  const freshOrganizations = arrivedOrganizations.filter((o) => !listedOrganizations.some((l) => l.id === o.id));
  const activities = [...freshActivities, ...listedActivities];
  const organizations = [...freshOrganizations, ...listedOrganizations];
  const fresh = new Set([...freshActivities.map((a) => a.id), ...freshOrganizations.map((o) => o.id)]);
  const lost = liveActivities.error || liveOrganizations.error;
  const more = data && (data.activities.pageInfo.hasNextPage || data.organizations.pageInfo.hasNextPage);
  const byList = (list: string): DutyItem[] => community?.dutyItems.filter((item) => item.list === list) ?? [];

  return (
    <main class="screen home">
      <h2>{t("home.title")}</h2>
      <ElderSwitch />
      {fetching && !data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {error ? (
        <div role="alert" class="error">
          <p>{errorMessage(error)}</p>
          <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.retry")}</button>
        </div>
      ) : null}
      {data && !community ? <p class="empty">{t("error.NOT_FOUND")}</p> : null}
      {community ? (
        <section class="card" aria-labelledby="home-community">
          <h3 id="home-community">{t("home.kind", { name: community.name, kind: t(`communityKind.${community.kind}`) })}</h3>
          <p class="note">{t("home.counts", { openTasks: community.openTasks, organizations: community.organizations,
            activitiesHeld: community.activitiesHeld })}</p>
        </section>
      ) : null}
      {actions.length ? (
        <div class="home-actions">
          {actions.map((action) => <a key={action.path} class="button" href={action.path}>{t(action.label)}</a>)}
        </div>
      ) : null}
      {community ? (
        <section aria-labelledby="home-lists" data-duty-lists>
          <h3 id="home-lists">{t("home.dutyLists", { version: community.dutyListVersion })}</h3>
          {community.dutyItems.length === 0 ? <p class="empty">{t("home.dutyListsEmpty")}</p> : LISTS.map((list) => (
            byList(list).length ? (
              <div key={list} class="duty-list" data-list={list}>
                <h4>{t(`dutyList.${list}`)}</h4>
                <ul>
                  {byList(list).map((item) => (
                    <li key={item.code}><span class="code">{item.code}</span> {item.title}</li>
                  ))}
                </ul>
              </div>
            ) : null
          ))}
        </section>
      ) : null}
      {data ? (
        <>
          <p class="note" aria-live="polite">{lost ? t("state.liveLost") : t("home.live")}</p>
          <section aria-labelledby="home-activities">
            <h3 id="home-activities">{t("home.activities")}</h3>
            {activities.length === 0 ? <p class="empty">{t("home.activitiesEmpty")}</p> : null}
            <ul class="plain items">
              {activities.map((activity) => (
                <li key={activity.id} data-activity={activity.id}>
                  {fresh.has(activity.id) ? <span class="badge">{t("home.activityNew")}</span> : null}
                  <strong>{activity.title}</strong>
                  <span>{t("home.activityMeta", { time: time(activity.heldAt), participants: activity.participants,
                    hours: activity.volunteerHours })}</span>
                </li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="home-organizations">
            <h3 id="home-organizations">{t("home.organizations")}</h3>
            {organizations.length === 0 ? <p class="empty">{t("home.organizationsEmpty")}</p> : null}
            <ul class="plain items">
              {organizations.map((organization) => (
                <li key={organization.id} data-organization={organization.id}>
                  {fresh.has(organization.id) ? <span class="badge">{t("home.activityNew")}</span> : null}
                  <strong>{organization.name}</strong>
                  <span>{t(`orgCategory.${organization.category}`)} · {t(`orgStatus.${organization.status}`)}</span>
                </li>
              ))}
            </ul>
          </section>
          <div class="actions">
            {more ? <button type="button" onClick={() => setFirst(first + PAGE)}>{t("common.loadMore")}</button> : null}
            <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.refresh")}</button>
          </div>
        </>
      ) : null}
    </main>
  );
}
