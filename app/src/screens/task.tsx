/** 事项详情 Task (P1, P2): one task; accept (接收) a delegated one, complete (办结) an accepted one. Each command
 * carries its own Idempotency-Key (useCommand) and the version shown as expectedVersion. */
import { useQuery } from "@urql/preact";
import { useLocation } from "preact-iso";
import { useCommand } from "../commands";
import { errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import { useSession } from "../state";
import type { Task } from "../types";

export function TaskScreen({ id }: { id: string }) {
  const { operations } = useSession();
  const { route } = useLocation();
  const [{ data, error, fetching }, reread] = useQuery({ query: operations.document("TaskDetail"), variables: { id } });
  const [accepting, accept] = useCommand("AcceptTask");
  const [completing, complete] = useCommand("CompleteTask");
  const task = data?.task;

  type Send = (variables: { id: string; expectedVersion: number }, params: Record<string, string>) =>
    Promise<{ state: string; code?: string | null }>;

  async function run(command: Send, current: Task) {
    const outcome = await command({ id: current.id, expectedVersion: current.version },
      { status: t(`taskStatus.${current.status}`) });
    if (outcome.state === "refused" && (outcome.code === "VERSION_CONFLICT" || outcome.code === "INVALID_STATE")) {
      reread({ requestPolicy: "network-only" });
    }
  }

  const last = [accepting, completing].find((s) => s.state === "refused");
  const busy = accepting.state === "sending" || completing.state === "sending";
  return (
    <main class="screen">
      <button type="button" class="link back" onClick={() => route("/app")}>{t("common.back")}</button>
      <h2>{t("task.title")}</h2>
      {fetching && !data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {error ? <p role="alert" class="error">{errorMessage(error)}</p> : null}
      {data && !task ? <p class="empty">{t("task.notFound")}</p> : null}
      {task ? (
        <article class="detail">
          <h3>{task.title}</h3>
          <p>{t("task.from", { department: task.fromDepartment })}</p>
          <p>{task.basis === "DUTY_LIST"
            ? t("task.basisItem", { code: task.dutyItemCode ?? "", version: task.dutyListVersion ?? "" })
            : t("task.basisAgreement", { id: task.agreementId ?? "" })}</p>
          <p>{t("task.delegatedAt", { time: time(task.delegatedAt) })}</p>
          {task.dueAt ? <p>{t("task.due", { time: time(task.dueAt) })}</p> : null}
          <p class="status" data-status={task.status}>{t(`taskStatus.${task.status}`)}</p>
          {task.declineReason ? <p>{t("task.declineReason", { reason: task.declineReason })}</p> : null}
          {last?.state === "refused" ? <p role="alert" class="error">{last.message}</p> : null}
          <div class="actions">
            {task.status === "DELEGATED" ? (
              <button type="button" class="primary" disabled={busy} onClick={() => run(accept, task)}>
                {t("task.accept")}
              </button>
            ) : null}
            {task.status === "ACCEPTED" ? (
              <button type="button" class="primary" disabled={busy} onClick={() => run(complete, task)}>
                {t("task.complete")}
              </button>
            ) : null}
          </div>
        </article>
      ) : null}
    </main>
  );
}
