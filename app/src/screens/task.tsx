/** 事项详情 Task: one task; accept (接收) a delegated one, complete (办结) an accepted one. Each command carries its
 * own Idempotency-Key and the version shown as expectedVersion. */
import { useMutation, useQuery } from "@urql/preact";
import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { commandContext } from "../client";
import { errorCode, errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import { useSession } from "../state";
import type { Task } from "../types";

export function TaskScreen({ id }: { id: string }) {
  const { token, operations } = useSession();
  const { route } = useLocation();
  const [{ data, error, fetching }, reread] = useQuery<{ task: Task | null }>({
    query: operations.document("TaskDetail"),
    variables: { id },
  });
  const [accepting, accept] = useMutation(operations.document("AcceptTask"));
  const [completing, complete] = useMutation(operations.document("CompleteTask"));
  const [failure, setFailure] = useState<string | null>(null);
  const task = data?.task;

  async function run(command: typeof accept, current: Task) {
    setFailure(null);
    const result = await command({ id: current.id, expectedVersion: current.version }, commandContext(token));
    if (result.error) {
      setFailure(errorMessage(result.error, { status: t(`taskStatus.${current.status}`) }));
      const code = errorCode(result.error);
      if (code === "VERSION_CONFLICT" || code === "INVALID_STATE") reread({ requestPolicy: "network-only" });
    }
  }

  const busy = accepting.fetching || completing.fetching;
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
          {failure ? <p role="alert" class="error">{failure}</p> : null}
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
