/** 协议 Agreements (street office, department; P4): sign a service agreement with a community
 * (op:SignServiceAgreement: community, department, scope of service, funding in yuan, valid until) and the
 * agreements in the actor's scope, current or expired (op:CommunityAgreements). A signed agreement is then offered by
 * the delegate screen for that community. */
import { useQuery } from "@urql/preact";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { useCommand, type CommandOutcome } from "../commands";
import { errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import { useSession } from "../state";
import { consistentAfter } from "./consistent";
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
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}
