/** 派发事项 Delegate a task (street office, department; P1, P3, P4): pick a community (op:Communities), then an item of
 * its CURRENT duty list (op:CurrentDutyList), one of its current service agreements (op:CommunityAgreements), or
 * neither; title, department, optional due time → op:DelegateTask through useCommand. A delegation the server refuses
 * as off-list (OFF_LIST_TASK, P1) is shown as a refusal card: the reason in words, the rule, and that the refusal is
 * on the record at its log position, with a link to the record (op:EntityHistory of the refusal). */
import { useQuery } from "@urql/preact";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { useCommand, type CommandOutcome } from "../commands";
import { errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import { useSession } from "../state";
import type { DutyItemRow } from "../types";
import "./forms.css";
import "./delegate.css";

type Basis = "item" | "agreement" | "none";
const LAST_DEPARTMENT = "gongzhi.lastDepartment";

function lastDepartment(): string {
  try {
    return localStorage.getItem(LAST_DEPARTMENT) ?? "";
  } catch {
    return "";
  }
}

interface Sent {
  outcome: CommandOutcome<"DelegateTask">;
  basis: Basis;
  item: string;
  title: string;
  community: string;
  quota: string;
}

/** The codes whose refusal is on the record and shown as the card (P1). */
const CARD_CODES = ["OFF_LIST_TASK", "QUOTA_NOT_ALLOWED"];

/** The refusal card of an OFF_LIST_TASK or a QUOTA_NOT_ALLOWED (P1): a card, not a toast; it stays until the user
 * goes back. */
function RefusalCard({ sent, onBack }: { sent: Sent; onBack: () => void }) {
  if (sent.outcome.state !== "refused") return null;
  const extensions = sent.outcome.error.graphQLErrors[0]?.extensions ?? {};
  const refusalId = typeof extensions.refusalId === "string" ? extensions.refusalId : null;
  const quota = sent.outcome.code === "QUOTA_NOT_ALLOWED";
  const reason = quota ? t("refusal.quota", { quota: sent.quota })
    : sent.basis === "item" ? t("refusal.notOnList", { item: sent.item })
    : sent.basis === "agreement" ? t("refusal.agreement") : t("refusal.noBasis");
  return (
    <section class="panel refused" role="alert" aria-labelledby="refusal-title" data-refusal={refusalId ?? ""}
      data-code={sent.outcome.code ?? ""}>
      <h3 id="refusal-title">{t("refusal.title")}</h3>
      <p class="refusal-reason">{reason}</p>
      <p>{quota ? t("refusal.quotaRule") : t("refusal.rule")}</p>
      {sent.outcome.position !== null ? (
        <p class="refusal-record" data-position={sent.outcome.position}>
          {t("refusal.onRecord", { position: sent.outcome.position })}
        </p>
      ) : null}
      <div class="row">
        {refusalId ? (
          <a class="button-link" href={`/app/history?entity=${encodeURIComponent(refusalId)}`}>
            {t("refusal.viewRecord")}
          </a>
        ) : null}
        <a class="button-link" href={`/app/agreements?community=${encodeURIComponent(sent.community)}`}>
          {t("refusal.signAgreement")}
        </a>
        <button type="button" onClick={onBack}>{t("common.back")}</button>
      </div>
    </section>
  );
}

export function DelegateScreen() {
  const { me, operations } = useSession();
  const { query } = useLocation();
  const [community, setCommunity] = useState(query.community ?? "");
  const [basis, setBasis] = useState<Basis>("item");
  const [item, setItem] = useState("");
  const [agreement, setAgreement] = useState("");
  const [title, setTitle] = useState("");
  const [department, setDepartment] = useState(lastDepartment);
  const [due, setDue] = useState("");
  const [quota, setQuota] = useState("");
  const [sent, setSent] = useState<Sent | null>(null);
  const [sending, send] = useCommand("DelegateTask");

  const [communities] = useQuery({
    query: operations.document("Communities"), variables: { scope: me.scope, first: 100 },
    requestPolicy: "cache-and-network",
  });
  const [list, rereadList] = useQuery({
    query: operations.document("CurrentDutyList"), variables: { code: community }, pause: !community,
    requestPolicy: "cache-and-network",
  });
  const [agreements] = useQuery({
    query: operations.document("CommunityAgreements"), variables: { scope: community, first: 100 },
    pause: !community, requestPolicy: "cache-and-network",
  });

  const rows = communities.data?.communities.edges.map((edge) => edge.node) ?? [];
  const chosen = rows.find((row) => row.code === community);
  const listed = list.data?.community && list.data.community.code === community ? list.data.community : null;
  const items: readonly DutyItemRow[] = listed?.dutyItems ?? [];
  const current = (agreements.data?.agreements.edges.map((edge) => edge.node) ?? [])
    .filter((row) => row.current && row.communityCode === community);
  const quotaAllowed = basis === "item" ? items.some((row) => row.code === item && row.allowsQuota)
    : basis === "agreement" ? current.some((row) => row.id === agreement && row.allowsQuota) : false;

  async function submit(event: Event) {
    event.preventDefault();
    if (!community) return;
    try {
      localStorage.setItem(LAST_DEPARTMENT, department.trim());
    } catch { /* a phone without storage still delegates */ }
    const outcome = await send({ input: {
      communityCode: community, title, fromDepartment: department,
      dutyItemCode: basis === "item" && item ? item : null,
      agreementId: basis === "agreement" && agreement ? agreement : null,
      dueAt: due ? new Date(due).toISOString() : null,
      quota: quota.trim() || null,
    } });
    setSent({ outcome, basis, item, title, community, quota: quota.trim() });
  }

  function back() {
    setSent(null);
    rereadList({ requestPolicy: "network-only" });
  }

  const outcome = sent?.outcome;
  return (
    <main class="screen gov">
      <h2>{t("delegate.title")}</h2>
      {outcome?.state === "done" ? (
        <section class="panel ok" role="status" data-task={outcome.data.delegateTask.task.id}>
          <h3>{t("delegate.sent")}</h3>
          <p class="wrap">{t("delegate.sentDetail", { title: outcome.data.delegateTask.task.title,
            community: chosen?.name ?? outcome.data.delegateTask.task.communityCode,
            status: t(`taskStatus.${outcome.data.delegateTask.task.status}`) })}</p>
          <button type="button" onClick={() => { setSent(null); setTitle(""); }}>{t("delegate.again")}</button>
        </section>
      ) : null}
      {outcome?.state === "queued" ? <p class="panel" role="status">{t("delegate.queued")}</p> : null}
      {outcome?.state === "refused" && CARD_CODES.includes(outcome.code ?? "") ? (
        <RefusalCard sent={sent!} onBack={back} />
      ) : null}
      {outcome?.state === "refused" && !CARD_CODES.includes(outcome.code ?? "") ? (
        <p role="alert" class="error">{outcome.message}</p>
      ) : null}
      {outcome?.state === "done" || (outcome?.state === "refused" && CARD_CODES.includes(outcome.code ?? "")) ? null : (
        <form class="form" onSubmit={submit}>
          <label for="delegate-community">{t("delegate.community")}</label>
          <select id="delegate-community" required value={community}
            onChange={(e) => { setCommunity((e.target as HTMLSelectElement).value); setItem(""); setAgreement(""); }}>
            <option value="">{t("delegate.chooseCommunity")}</option>
            {community && !chosen ? <option value={community}>{community}</option> : null}
            {rows.map((row) => <option key={row.code} value={row.code}>{row.name}（{row.code}）</option>)}
          </select>
          {communities.error ? <p role="alert" class="field-error">{errorMessage(communities.error)}</p> : null}

          {community ? (
            <fieldset>
              <legend>{t("delegate.basis")}</legend>
              {listed ? <p class="hint">{t("delegate.listVersion", { version: listed.dutyListVersion })}</p> : null}
              {list.error ? <p role="alert" class="field-error">{errorMessage(list.error)}</p> : null}
              {listed && items.length === 0 ? <p class="hint">{t("delegate.listEmpty")}</p> : null}
              <label class="choice">
                <input type="radio" name="basis" value="item" checked={basis === "item"}
                  onChange={() => setBasis("item")} /><span class="mark" aria-hidden="true" />
                {t("delegate.pickItem")}
              </label>
              <label class="choice">
                <input type="radio" name="basis" value="agreement" checked={basis === "agreement"}
                  onChange={() => setBasis("agreement")} /><span class="mark" aria-hidden="true" />
                {t("delegate.pickAgreement")}
              </label>
              <label class="choice">
                <input type="radio" name="basis" value="none" checked={basis === "none"}
                  onChange={() => setBasis("none")} /><span class="mark" aria-hidden="true" />
                {t("delegate.pickNone")}
              </label>
              {basis === "item" ? (
                <>
                  <label for="delegate-item">{t("delegate.item")}</label>
                  <select id="delegate-item" required value={item}
                    onChange={(e) => setItem((e.target as HTMLSelectElement).value)}>
                    <option value="">—</option>
                    {(["ASSIST_GOVERNMENT", "SELF_GOVERNANCE"] as const).map((kind) => (
                      <optgroup key={kind} label={t(`dutyList.${kind}`)}>
                        {items.filter((row) => row.list === kind).map((row) => (
                          <option key={row.code} value={row.code}>{row.code} {row.title}</option>
                        ))}
                      </optgroup>
                    ))}
                  </select>
                </>
              ) : null}
              {basis === "agreement" ? (
                <>
                  <label for="delegate-agreement">{t("delegate.agreement")}</label>
                  <select id="delegate-agreement" required value={agreement}
                    onChange={(e) => setAgreement((e.target as HTMLSelectElement).value)}>
                    <option value="">—</option>
                    {current.map((row) => (
                      <option key={row.id} value={row.id}>{t("delegate.agreementOption", {
                        department: row.department, scope: row.scope, until: time(row.validUntil) })}</option>
                    ))}
                  </select>
                  {agreements.data && current.length === 0 ? <p class="hint">{t("delegate.noAgreements")}</p> : null}
                </>
              ) : null}
              {basis === "none" ? <p class="hint">{t("delegate.noneNote")}</p> : null}
            </fieldset>
          ) : null}

          <label for="delegate-title">{t("delegate.taskTitle")}</label>
          <input id="delegate-title" required maxLength={200} value={title}
            onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
          <label for="delegate-department">{t("delegate.fromDepartment")}</label>
          <input id="delegate-department" required maxLength={200} value={department}
            onInput={(e) => setDepartment((e.target as HTMLInputElement).value)} />
          <label for="delegate-quota">{t("delegate.quota")}</label>
          <input id="delegate-quota" maxLength={500} value={quota} aria-describedby="delegate-quota-hint"
            onInput={(e) => setQuota((e.target as HTMLInputElement).value)} />
          <p id="delegate-quota-hint" class="hint">{quotaAllowed ? t("delegate.quotaAllowed") : t("delegate.quotaHint")}</p>
          <label for="delegate-due">{t("delegate.dueAt")}</label>
          <input id="delegate-due" type="datetime-local" value={due}
            onInput={(e) => setDue((e.target as HTMLInputElement).value)} />
          <button type="submit" class="primary" disabled={sending.state === "sending"}>
            {sending.state === "sending" ? t("state.sending") : t("delegate.submit")}
          </button>
        </form>
      )}
    </main>
  );
}
