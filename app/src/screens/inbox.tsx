/** 待办 Inbox (P1, P2): the tasks delegated to the committee's communities, by status; new ones arrive live. */
import { useQuery, useSubscription } from "@urql/preact";
import { useState } from "preact/hooks";
import { errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import { useSession } from "../state";
import type { Task, TaskConnection, TaskStatus } from "../types";

const TABS: TaskStatus[] = ["DELEGATED", "ACCEPTED", "DECLINED", "COMPLETED"];

export function Inbox() {
  const { me, operations } = useSession();
  const [status, setStatus] = useState<TaskStatus>("DELEGATED");
  // Subscribe first, then query (README, "Live read models"): Graphcache places each delivery into the lists.
  const [live] = useSubscription<{ taskUpdated: Task }, string[]>(
    { query: operations.document("TaskUpdated"), variables: { scope: me.scope } },
    (arrived = [], data) => (data.taskUpdated.version === 1 ? [...arrived, data.taskUpdated.id] : arrived),
  );
  const [{ data, error, fetching }, reread] = useQuery<{ tasks: TaskConnection }>({
    query: operations.document("CommitteeInbox"),
    variables: { scope: me.scope, status },
  });
  const fresh = new Set(live.data ?? []);
  const tasks = data?.tasks.edges.map((edge) => edge.node) ?? [];
  return (
    <main class="screen">
      <h2>{t("inbox.title")}</h2>
      <nav class="tabs" aria-label={t("inbox.title")}>
        {TABS.map((tab) => (
          <button type="button" key={tab} class={tab === status ? "tab on" : "tab"} aria-pressed={tab === status}
            onClick={() => setStatus(tab)}>
            {t(`taskStatus.${tab}`)}
          </button>
        ))}
      </nav>
      <p class="note" aria-live="polite">{live.error ? t("state.liveLost") : t("state.live")}</p>
      {error ? (
        <div role="alert" class="error">
          <p>{errorMessage(error)}</p>
          <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.retry")}</button>
        </div>
      ) : null}
      {fetching && !data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {data && tasks.length === 0 ? (
        <p class="empty">{status === "DELEGATED" ? t("inbox.empty")
          : t("inbox.emptyOther", { status: t(`taskStatus.${status}`) })}</p>
      ) : null}
      <ul class="tasks">
        {tasks.map((task) => (
          <li key={task.id}>
            <a class="task" href={`/app/task/${encodeURIComponent(task.id)}`} data-task={task.id}>
              {fresh.has(task.id) ? <span class="badge">{t("inbox.new")}</span> : null}
              <strong>{task.title}</strong>
              <span>{t("task.from", { department: task.fromDepartment })}</span>
              <span>{t(`taskBasis.${task.basis}`)} · {t(`taskStatus.${task.status}`)}</span>
              {task.dueAt ? <span>{t("task.due", { time: time(task.dueAt) })}</span> : null}
            </a>
          </li>
        ))}
      </ul>
    </main>
  );
}
