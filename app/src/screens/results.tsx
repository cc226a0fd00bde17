/** 评议结果 Results (P26): per target the tally and the satisfaction rate (满意 + 基本满意 over all votes); no voter,
 * no comment (op:EvaluationResults). A secret campaign's results count its ballots once released (msg:campaign.secretNote). */
import { useQuery } from "@urql/preact";
import { useLocation } from "preact-iso";
import { errorCode, errorMessage } from "../errors";
import { t } from "../messages";
import { useSession } from "../state";
import "./parts.css";

const percent = new Intl.NumberFormat("zh-CN", { style: "percent", maximumFractionDigits: 1 });

export function ResultsScreen({ id }: { id: string }) {
  const { operations } = useSession();
  const { route } = useLocation();
  const [{ data, error, fetching }, reread] = useQuery({
    query: operations.document("EvaluationResults"), variables: { campaignId: id }, requestPolicy: "cache-and-network",
  });
  const [{ data: detail }] = useQuery({ query: operations.document("CampaignDetail"), variables: { id } });
  const rows = data?.evaluationResults ?? [];
  const wrongLink = error ? ["INVALID_INPUT", "NOT_FOUND"].includes(errorCode(error) ?? "") : false;
  const votes = rows.reduce((sum, row) => sum + row.total, 0);
  return (
    <main class="screen">
      <button type="button" class="link back" onClick={() => route("/app/campaigns")}>{t("common.back")}</button>
      <h2>{t("campaign.results")}</h2>
      {detail?.evaluationCampaign ? <p><strong>{detail.evaluationCampaign.title}</strong></p> : null}
      {detail?.evaluationCampaign?.secret ? <p class="note" data-secret="true">{t("campaign.secretNote")}</p> : null}
      {fetching && !data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {wrongLink ? <p class="empty" role="alert">{t("campaign.notFound")}</p> : null}
      {error && !wrongLink ? (
        <div role="alert" class="error">
          <p>{errorMessage(error)}</p>
          <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.retry")}</button>
        </div>
      ) : null}
      {data && rows.length === 0 ? <p class="empty">{t("campaign.notFound")}</p> : null}
      {data && rows.length > 0 && votes === 0 ? <p class="empty">{t("campaign.noVotes")}</p> : null}
      <ul class="plain">
        {rows.map((row) => (
          <li key={row.target.id} class="card" data-result={row.target.id}>
            <h3>{row.target.name}</h3>
            <p class="note">{t(`targetKind.${row.target.kind}`)}</p>
            <p class="tally">{t("campaign.tally", { satisfied: row.satisfied, basicallySatisfied: row.basicallySatisfied,
              dissatisfied: row.dissatisfied, total: row.total })}</p>
            <p class="rate"><strong>{t("campaign.rate", { rate: percent.format(row.satisfactionRate) })}</strong></p>
          </li>
        ))}
      </ul>
      <div class="actions">
        <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.refresh")}</button>
      </div>
    </main>
  );
}
