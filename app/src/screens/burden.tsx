/** 减负 Burden (P1, P4): op:BurdenReport for a scope — tasks delegated, on the duty list, under agreements, refused
 * off-list, declined, agreement funding. One component for every role: a committee (its community), a street office,
 * department or auditor (the whole scope, then each community of it on tap, one op:BurdenReport each). */
import { useQuery } from "@urql/preact";
import { useState } from "preact/hooks";
import { errorMessage } from "../errors";
import { t } from "../messages";
import { useSession } from "../state";
import type { BurdenFigures } from "../types";
import "./forms.css";
import "./burden.css";

const FIGURES: { key: keyof BurdenFigures; message: string; param: string }[] = [
  { key: "tasksDelegated", message: "burden.delegated", param: "count" },
  { key: "onDutyList", message: "burden.onDutyList", param: "count" },
  { key: "underAgreement", message: "burden.underAgreement", param: "count" },
  { key: "refusedOffList", message: "burden.refused", param: "count" },
  { key: "declined", message: "burden.declined", param: "count" },
  { key: "agreementFundingYuan", message: "burden.funding", param: "yuan" },
];

/** The figures of one op:BurdenReport answer, each with its field name and value as data attributes. */
export function Figures({ report }: { report: BurdenFigures }) {
  const nothing = report.tasksDelegated === 0 && report.refusedOffList === 0;
  return (
    <>
      {nothing ? <p class="empty">{t("burden.empty")}</p> : null}
      <ul class="figures" data-scope={report.scope}>
        {FIGURES.map(({ key, message, param }) => (
          <li key={key} data-figure={key} data-value={String(report[key])}>
            {t(message, { [param]: String(report[key]) })}
          </li>
        ))}
      </ul>
    </>
  );
}

/** op:BurdenReport for `scope`, with its loading and error states. */
export function BurdenReport({ scope }: { scope: string }) {
  const { operations } = useSession();
  const [{ data, error, fetching }, reread] = useQuery({
    query: operations.document("BurdenReport"), variables: { scope }, requestPolicy: "cache-and-network",
  });
  return (
    <div class="burden" aria-busy={fetching}>
      {error ? (
        <div role="alert" class="error">
          <p>{errorMessage(error)}</p>
          <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.retry")}</button>
        </div>
      ) : null}
      {fetching && !data ? <p>{t("common.loading")}</p> : null}
      {data ? <Figures report={data.burdenReport} /> : null}
    </div>
  );
}

/** The communities of a scope broader than one community, each opening its own figures on tap. */
function ByCommunity({ scope }: { scope: string }) {
  const { operations } = useSession();
  const [open, setOpen] = useState<string | null>(null);
  const [{ data, error }] = useQuery({
    query: operations.document("Communities"), variables: { scope, first: 100 }, requestPolicy: "cache-and-network",
  });
  if (error) return <p role="alert" class="error">{errorMessage(error)}</p>;
  const communities = data?.communities.edges.map((edge) => edge.node) ?? [];
  return (
    <section aria-labelledby="burden-by">
      <h3 id="burden-by">{t("burden.byCommunity")}</h3>
      {data && communities.length === 0 ? <p class="empty">{t("communities.empty")}</p> : null}
      <ul class="burden-communities">
        {communities.map((community) => (
          <li key={community.code} data-community={community.code}>
            <button type="button" class="wide" aria-expanded={open === community.code}
              onClick={() => setOpen(open === community.code ? null : community.code)}>
              <span>{community.name}</span> <span class="note">{community.code}</span>
            </button>
            {open === community.code ? <BurdenReport scope={community.code} /> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The burden screen of the signed-in actor's scope (every role that has it in its navigation). */
export function BurdenScreen() {
  const { me } = useSession();
  return (
    <main class="screen gov">
      <h2>{t("burden.title")}</h2>
      <p class="note">{t("burden.scope", { scope: me.scope || "—" })}</p>
      <section aria-labelledby="burden-whole">
        <h3 id="burden-whole">{t("burden.whole")}</h3>
        <BurdenReport scope={me.scope} />
      </section>
      {me.scope.length < 12 ? <ByCommunity scope={me.scope} /> : null}
    </main>
  );
}
