/** 协议 Agreements (street office, department; P4): sign a service agreement with a community
 * (op:SignServiceAgreement: community, department, scope of service, funding in yuan, valid until) and the
 * agreements in the actor's scope, current or expired, each with its funding agreed, disbursed and outstanding
 * (op:CommunityAgreements). 拨付经费 opens an agreement's disbursements and tasks (op:AgreementDetail) and a form
 * that records money paid (op:RecordDisbursement; more than is outstanding is OVER_DISBURSED, said in words with
 * what is outstanding). A signed agreement is then offered by the delegate screen for that community. */
import { useQuery } from "@urql/preact";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { useCommand, type CommandOutcome } from "../commands";
import { errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import { useSession } from "../state";
import { consistentAfter } from "./consistent";
import { refusalMessage } from "./fields";
import "./forms.css";
import "./agreement.css";

/** The last moment of a local calendar day, as an instant with its offset (validUntil needs one). */
function endOfDay(date: string): string {
  return new Date(`${date}T23:59:59`).toISOString();
}

export function AgreementScreen() {
  const { me, token, operations } = useSession();
  const { query } = useLocation();
  const [community, setCommunity] = useState(query.community ?? "");
  const [department, setDepartment] = useState("");
  const [scope, setScope] = useState("");
  const [funding, setFunding] = useState("");
  const [until, setUntil] = useState("");
  const [outcome, setOutcome] = useState<CommandOutcome<"SignServiceAgreement"> | null>(null);
  const [sending, send] = useCommand("SignServiceAgreement");
  const [open, setOpen] = useState<string | null>(null);
  const [communities] = useQuery({
    query: operations.document("Communities"), variables: { scope: me.scope, first: 100 },
    requestPolicy: "cache-and-network",
  });
  const [agreements, reread] = useQuery({
    query: operations.document("CommunityAgreements"), variables: { scope: me.scope, first: 100 },
    requestPolicy: "cache-and-network",
  });
  const rows = communities.data?.communities.edges.map((edge) => edge.node) ?? [];
  const names = new Map(rows.map((row) => [row.code, row.name]));
  const list = agreements.data?.agreements.edges.map((edge) => edge.node) ?? [];

  async function submit(event: Event) {
    event.preventDefault();
    const result = await send({ input: { communityCode: community, department, scope, fundingYuan: funding.trim(),
      validUntil: until ? endOfDay(until) : "" } });
    setOutcome(result);
    if (result.state === "done") {
      setScope("");
      setFunding("");
      reread(consistentAfter(token, result.data.signServiceAgreement.receipt.position));
    }
  }

  return (
    <main class="screen gov">
      <h2>{t("agreement.title")}</h2>
      {outcome?.state === "done" ? (
        <p class="panel ok" role="status" data-agreement={outcome.data.signServiceAgreement.agreement.id}>
          {t("agreement.signed")} <span class="wrap">{t("agreement.signedDetail",
            { id: outcome.data.signServiceAgreement.agreement.id })}</span>
        </p>
      ) : null}
      {outcome?.state === "queued" ? <p class="panel" role="status">{t("state.queued")}</p> : null}
      {outcome?.state === "refused" ? <p role="alert" class="error">{outcome.message}</p> : null}
      <form class="form" onSubmit={submit}>
        <label for="agreement-community">{t("agreement.community")}</label>
        <select id="agreement-community" required value={community}
          onChange={(e) => setCommunity((e.target as HTMLSelectElement).value)}>
          <option value="">{t("delegate.chooseCommunity")}</option>
          {community && !names.has(community) ? <option value={community}>{community}</option> : null}
          {rows.map((row) => <option key={row.code} value={row.code}>{row.name}（{row.code}）</option>)}
        </select>
        <label for="agreement-department">{t("agreement.department")}</label>
        <input id="agreement-department" required maxLength={200} value={department}
          onInput={(e) => setDepartment((e.target as HTMLInputElement).value)} />
        <label for="agreement-scope">{t("agreement.scope")}</label>
        <textarea id="agreement-scope" required rows={3} value={scope}
          onInput={(e) => setScope((e.target as HTMLTextAreaElement).value)} />
        <label for="agreement-funding">{t("agreement.funding")}</label>
        <input id="agreement-funding" required inputMode="decimal" pattern="[0-9]+(\.[0-9]{1,2})?"
          aria-describedby="agreement-funding-hint" value={funding}
          onInput={(e) => setFunding((e.target as HTMLInputElement).value)} />
        <p id="agreement-funding-hint" class="hint">{t("agreement.fundingHint")}</p>
        <label for="agreement-until">{t("agreement.validUntil")}</label>
        <input id="agreement-until" type="date" required value={until}
          onInput={(e) => setUntil((e.target as HTMLInputElement).value)} />
        <button type="submit" class="primary" disabled={sending.state === "sending"}>
          {sending.state === "sending" ? t("state.sending") : t("agreement.submit")}
        </button>
      </form>

      <section aria-labelledby="agreement-list">
        <h3 id="agreement-list">{t("agreement.list")}</h3>
        {agreements.error ? <p role="alert" class="error">{errorMessage(agreements.error)}</p> : null}
        {agreements.fetching && !agreements.data ? <p aria-busy="true">{t("common.loading")}</p> : null}
        {agreements.data && list.length === 0 ? <p class="empty">{t("agreement.none")}</p> : null}
        <ul class="agreements">
          {list.map((row) => (
            <li key={row.id} data-agreement={row.id}>
              <p><strong class="wrap">{row.scope}</strong>{" "}
                <span class={row.current ? "tag" : "tag off"}>
                  {row.current ? t("agreement.current") : t("agreement.expired")}</span></p>
              <p class="wrap">{t("agreement.line", { department: row.department,
                community: names.get(row.communityCode) ?? row.communityCode })}</p>
              <p class="note">{t("agreement.fundingOf", { yuan: row.fundingYuan, time: time(row.validUntil) })}</p>
              <p class="disbursed" data-disbursed={row.disbursedYuan} data-outstanding={row.outstandingYuan}>
                {t("agreement.disbursedOf", { disbursed: row.disbursedYuan, outstanding: row.outstandingYuan })}</p>
              <button type="button" aria-expanded={open === row.id}
                onClick={() => setOpen(open === row.id ? null : row.id)}>
                {open === row.id ? t("agreement.close") : t("agreement.disburse")}
              </button>
              {open === row.id ? <Disburse id={row.id} scope={row.scope} /> : null}
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}

function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** One agreement's disbursements and tasks (op:AgreementDetail) and the form that records a disbursement
 * (op:RecordDisbursement): amount in yuan, the day it was paid (today: now), an optional note. */
function Disburse({ id, scope }: { id: string; scope: string }) {
  const { token, operations } = useSession();
  const [amount, setAmount] = useState("");
  const [day, setDay] = useState(today);
  const [note, setNote] = useState("");
  const [outcome, setOutcome] = useState<CommandOutcome<"RecordDisbursement"> | null>(null);
  const [sending, send] = useCommand("RecordDisbursement");
  const [detail, reread] = useQuery({
    query: operations.document("AgreementDetail"), variables: { id }, requestPolicy: "cache-and-network",
  });
  const agreement = detail.data?.agreement;

  async function submit(event: Event) {
    event.preventDefault();
    const result = await send({ input: { agreementId: id, amountYuan: amount.trim(),
      disbursedAt: day && day !== today() ? new Date(`${day}T00:00:00`).toISOString() : null,
      note: note.trim() || null } });
    setOutcome(result);
    if (result.state === "done") {
      setAmount("");
      setNote("");
      reread(consistentAfter(token, result.data.recordDisbursement.receipt.position));
    }
  }

  const field = `disburse-${id}`;
  return (
    <div class="panel disburse" data-agreement-detail={id}>
      <h4 class="wrap">{t("agreement.disburseFor", { scope })}</h4>
      {detail.error ? <p role="alert" class="error">{errorMessage(detail.error)}</p> : null}
      {agreement ? (
        <>
          <p class="note">{t("agreement.tasksUnder", { count: agreement.tasks.length })}</p>
          <p>{t("agreement.disbursements")}</p>
          {agreement.disbursements.length === 0 ? <p class="note">{t("agreement.disbursementsEmpty")}</p> : null}
          <ul class="disbursements">
            {agreement.disbursements.map((row) => (
              <li key={row.position} data-position={row.position} data-amount={row.amountYuan}>
                {t("agreement.disbursementLine", { time: time(row.disbursedAt), yuan: row.amountYuan })}
                {row.note ? <span class="note wrap"> · {row.note}</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : detail.fetching ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {outcome?.state === "done" ? (
        <p class="panel ok" role="status">{t("agreement.disbursedDone", {
          disbursed: outcome.data.recordDisbursement.agreement.disbursedYuan,
          outstanding: outcome.data.recordDisbursement.agreement.outstandingYuan })}</p>
      ) : null}
      {outcome?.state === "queued" ? <p class="panel" role="status">{t("state.queued")}</p> : null}
      {outcome?.state === "refused" ? (
        <p role="alert" class="error" data-code={outcome.code ?? ""}>{refusalMessage(outcome)}</p>
      ) : null}
      <form class="form" onSubmit={submit}>
        <label for={`${field}-amount`}>{t("agreement.amount")}</label>
        <input id={`${field}-amount`} required inputMode="decimal" pattern="[0-9]+(\.[0-9]{1,2})?" value={amount}
          onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
        <label for={`${field}-day`}>{t("agreement.disbursedAt")}</label>
        <input id={`${field}-day`} type="date" value={day} onInput={(e) => setDay((e.target as HTMLInputElement).value)} />
        <label for={`${field}-note`}>{t("agreement.note")}</label>
        <input id={`${field}-note`} maxLength={500} value={note}
          onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
        <button type="submit" class="primary" disabled={sending.state === "sending"}>
          {sending.state === "sending" ? t("state.sending") : t("agreement.disburseSubmit")}
        </button>
      </form>
    </div>
  );
}
