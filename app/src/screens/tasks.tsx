/** 派发的事项 Tasks (street office, department): the tasks in the actor's scope by status, read only
 * (op:CommitteeInbox with scope and status), live through op:TaskUpdated (Graphcache places each delivery). */
import { useQuery, useSubscription } from "@urql/preact";
import { useState } from "preact/hooks";
import { errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import { useSession } from "../state";
import type { TaskStatus } from "../types";
import "./tasks.css";

const TABS: TaskStatus[] = ["DELEGATED", "ACCEPTED", "DECLINED", "COMPLETED"];
/** 加载更多 asks for a larger first page (so live deliveries keep landing in it), up to the server's page limit. */
const PAGE = 50;
const MOST = 200;

export function TasksScreen() {
  const { me, operations } = useSession();
  const [status, setStatus] = useState<TaskStatus>("DELEGATED");
  const [first, setFirst] = useState(PAGE);
  const [live] = useSubscription({ query: operations.document("TaskUpdated"), variables: { scope: me.scope } });
  const [{ data, error, fetching }, reread] = useQuery({
    query: operations.document("CommitteeInbox"), variables: { scope: me.scope, status, first },
    requestPolicy: "cache-and-network",
  });
  const tasks = data?.tasks.edges.map((edge) => edge.node) ?? [];
  return (
    <main class="screen gov">
      <h2>{t("tasks.title")}</h2>
      <div class="tabs" role="group" aria-label={t("tasks.title")}>
        {TABS.map((tab) => (
          <button type="button" key={tab} class={tab === status ? "tab on" : "tab"} aria-pressed={tab === status}
            onClick={() => { setStatus(tab); setFirst(PAGE); }}>
            {t(`taskStatus.${tab}`)}
          </button>
        ))}
      </div>
      <p class="note" aria-live="polite">{live.error ? t("state.liveLost") : t("state.live")}</p>
      {error ? (
        <div role="alert" class="error">
          <p>{errorMessage(error)}</p>
          <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.retry")}</button>
        </div>
      ) : null}
      {fetching && !data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {data && tasks.length === 0 ? <p class="empty">{t("tasks.empty")}</p> : null}
      <ul class="delegated">
        {tasks.map((task) => (
          <li key={task.id} data-task={task.id}>
            <strong class="wrap">{task.title}</strong>
            <span>{t("tasks.community", { code: task.communityCode })} · {t("task.from", {
              department: task.fromDepartment })}</span>
            <span>{t(`taskBasis.${task.basis}`)} · {t(`taskStatus.${task.status}`)}</span>
            <span>{t("task.delegatedAt", { time: time(task.delegatedAt) })}</span>
            {task.dueAt ? <span>{t("task.due", { time: time(task.dueAt) })}</span> : null}
            {task.declineReason ? <span class="wrap">{t("task.declineReason", { reason: task.declineReason })}</span>
              : null}
          </li>
        ))}
      </ul>
      {data?.tasks.pageInfo.hasNextPage && first < MOST ? (
        <button type="button" onClick={() => setFirst(Math.min(MOST, first + PAGE))}>{t("common.loadMore")}</button>
      ) : null}
    </main>
  );
}
