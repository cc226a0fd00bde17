/** 事项详情 Task (P1, P2): one task; accept (接收) a delegated one, decline (退回) it with a reason kept on the record,
 * complete (办结) an accepted one. Each command carries its own Idempotency-Key (useCommand) and the version shown
 * as expectedVersion. */
import { useQuery } from "@urql/preact";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { useCommand } from "../commands";
import { errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import { useOutbox } from "../offline/outbox";
import { useSession } from "../state";
import type { Task, TaskStatus } from "../types";
import { refusalMessage, refusedField } from "./fields";
import "./task.css";

const REASON_MAX = 2000;

export function TaskScreen({ id }: { id: string }) {
  const { operations } = useSession();
  const { route } = useLocation();
  const [{ data, error, fetching }, reread] = useQuery({ query: operations.document("TaskDetail"), variables: { id } });
  const [accepting, accept] = useCommand("AcceptTask");
  const [completing, complete] = useCommand("CompleteTask");
  const [declining, decline] = useCommand("DeclineTask");
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | null>(null);
  // A command queued offline: the status it will make, shown with msg:state.queued while the task is still as it was.
  const [intended, setIntended] = useState<{ key: string; from: TaskStatus; to: TaskStatus; reason?: string } | null>(null);
  const task = data?.task;
  // Its outbox record: while queued or sending the task shows the intended status; once sent the cache has the
  // answer; failed: the refusal in words (the pending screen keeps it until dismissed).
  const record = useOutbox().find((r) => r.key === intended?.key);
  const failed = record?.state === "failed" ? record : null;
  const waiting = task && intended && record && !failed && task.status === intended.from ? intended : null;

  type Send = (variables: { id: string; expectedVersion: number }, params: Record<string, string>) =>
    Promise<{ state: string; code?: string | null; key: string }>;

  async function run(command: Send, current: Task, to: TaskStatus) {
    const outcome = await command({ id: current.id, expectedVersion: current.version },
      { status: t(`taskStatus.${current.status}`) });
    if (outcome.state === "queued") setIntended({ key: outcome.key, from: current.status, to });
    if (outcome.state === "refused" && (outcome.code === "VERSION_CONFLICT" || outcome.code === "INVALID_STATE")) {
      reread({ requestPolicy: "network-only" });
    }
  }

  async function sendDecline(current: Task) {
    const text = reason.trim();
    if (!text) {
      setReasonError(t("task.declineReasonRequired"));
      return;
    }
    setReasonError(null);
    const outcome = await decline({ id: current.id, reason: text, expectedVersion: current.version },
      { status: t(`taskStatus.${current.status}`) });
    if (outcome.state === "refused") {
      if (outcome.code === "INVALID_INPUT" && refusedField(outcome.error) === "reason") {
        setReasonError(refusalMessage(outcome));
      } else if (outcome.code === "VERSION_CONFLICT" || outcome.code === "INVALID_STATE") {
        reread({ requestPolicy: "network-only" });
      }
    } else {
      setAsking(false);
      setReason("");
      if (outcome.state === "queued") setIntended({ key: outcome.key, from: current.status, to: "DECLINED", reason: text });
    }
  }

  const last = [accepting, completing, declining].find((s) => s.state === "refused");
  const lastMessage = last?.state === "refused" && !(last === declining && reasonError) ? refusalMessage(last) : null;
  const busy = [accepting, completing, declining].some((s) => s.state === "sending") || waiting !== null;
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
          <p class="status" data-status={waiting ? waiting.to : task.status}>
            {t(`taskStatus.${waiting ? waiting.to : task.status}`)}
          </p>
          {waiting ? <p class="note queued" data-queued="true">{t("state.queued")}</p> : null}
          {waiting?.reason ? <p class="reason">{t("task.declineReason", { reason: waiting.reason })}</p> : null}
          {task.declineReason ? <p class="reason">{t("task.declineReason", { reason: task.declineReason })}</p> : null}
          {lastMessage ? <p role="alert" class="error">{lastMessage}</p> : null}
          {failed ? <p role="alert" class="error">{t("task.failed", { message: failed.message ?? "" })}</p> : null}
          {task.status === "DELEGATED" && asking ? (
            <form class="decline" noValidate onSubmit={(event) => { event.preventDefault(); void sendDecline(task); }}>
              <label for="decline-reason">{t("task.declineReasonLabel")}</label>
              <textarea id="decline-reason" rows={4} maxLength={REASON_MAX} required value={reason}
                aria-required="true" aria-invalid={reasonError ? "true" : undefined}
                aria-describedby={reasonError ? "decline-hint decline-error" : "decline-hint"}
                onInput={(event) => setReason((event.target as HTMLTextAreaElement).value)} />
              <p id="decline-hint" class="note">{t("task.declineReasonHint")}</p>
              {reasonError ? <p id="decline-error" role="alert" class="error">{reasonError}</p> : null}
              <div class="actions">
                <button type="submit" class="primary" disabled={busy}>{t("task.declineSubmit")}</button>
                <button type="button" onClick={() => { setAsking(false); setReasonError(null); }}>
                  {t("common.cancel")}
                </button>
              </div>
            </form>
          ) : null}
          <div class="actions">
            {task.status === "DELEGATED" && !asking && !waiting ? (
              <>
                <button type="button" class="primary" disabled={busy} onClick={() => run(accept, task, "ACCEPTED")}>
                  {t("task.accept")}
                </button>
                <button type="button" disabled={busy} onClick={() => setAsking(true)}>{t("task.decline")}</button>
              </>
            ) : null}
            {task.status === "ACCEPTED" && !waiting ? (
              <button type="button" class="primary" disabled={busy} onClick={() => run(complete, task, "COMPLETED")}>
                {t("task.complete")}
              </button>
            ) : null}
          </div>
        </article>
      ) : null}
    </main>
  );
}
