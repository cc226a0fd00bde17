/** 减负 Burden (P1–P10): op:BurdenReport for a scope — tasks delegated and on which basis, refusals under each rule,
 * agreement funding agreed and disbursed, unfunded tasks, inspections and those past the cap, paper ledgers — in all,
 * by department and by community, over a period and for one department if asked; op:BurdenAlerts (what needs
 * action) and op:Refusals (every refused attempt, by provision). One component for every role with 减负: a committee
 * (its community), a party committee, a street office, department or auditor (the whole scope, then each community
 * of it on tap, one op:BurdenReport each). */
import { useQuery } from "@urql/preact";
import { useState } from "preact/hooks";
import { errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import { useSession } from "../state";
import type { BurdenFigures, Role } from "../types";
import "./forms.css";
import "./burden.css";

type FigureKey = Exclude<keyof BurdenFigures, "__typename" | "scope" | "from" | "to" | "department" | "byDepartment"
  | "byCommunity">;
type Numbers = Pick<BurdenFigures, FigureKey>;

/** Each figure: its field, its words and whether it counts something the rules refuse or warn of (marked in words
 * by its own message, and by a border as a second cue). */
const FIGURES: { key: FigureKey; message: string; param: string; warn?: boolean }[] = [
  { key: "tasksDelegated", message: "burden.delegated", param: "count" },
  { key: "onDutyList", message: "burden.onDutyList", param: "count" },
  { key: "underAgreement", message: "burden.underAgreement", param: "count" },
  { key: "refusedOffList", message: "burden.refused", param: "count", warn: true },
  { key: "quotaRefused", message: "burden.quotaRefused", param: "count", warn: true },
  { key: "declined", message: "burden.declined", param: "count" },
  { key: "agreementFundingYuan", message: "burden.funding", param: "yuan" },
  { key: "disbursedYuan", message: "burden.disbursed", param: "yuan" },
  { key: "unfundedTasks", message: "burden.unfunded", param: "count", warn: true },
  { key: "workBodiesRefused", message: "burden.workBodiesRefused", param: "count", warn: true },
  { key: "signboardsRefused", message: "burden.signboardsRefused", param: "count", warn: true },
  { key: "targetContractsRefused", message: "burden.targetContractsRefused", param: "count", warn: true },
  { key: "inspections", message: "burden.inspections", param: "count" },
  { key: "inspectionsOverCap", message: "burden.inspectionsOverCap", param: "count", warn: true },
  { key: "sealUsesRefused", message: "burden.sealUsesRefused", param: "count", warn: true },
  { key: "paperLedgersDemanded", message: "burden.paperLedgers", param: "count" },
];

/** The roles that read the raw log: a refusal links to its record (the history screen). */
const READS_LOG: Role[] = ["STREET_OFFICE", "DEPARTMENT", "AUDITOR"];

interface Period {
  from: string | null;
  to: string | null;
  department: string | null;
}

const ALL: Period = { from: null, to: null, department: null };

function isEmpty(report: Numbers): boolean {
  return FIGURES.every(({ key }) => Number(report[key]) === 0);
}

/** The figures of one report, or one department's or community's row of it, each with its field name and value as
 * data attributes. `attrs` names what it is the figures of (data-scope, data-department). */
export function Figures({ report, attrs }: { report: Numbers; attrs: Record<string, string> }) {
  return (
    <>
      {isEmpty(report) ? <p class="empty">{t("burden.empty")}</p> : null}
      <ul class="figures" {...attrs}>
        {FIGURES.map(({ key, message, param, warn }) => (
          <li key={key} data-figure={key} data-value={String(report[key])}
            class={warn && Number(report[key]) > 0 ? "warn" : undefined}>
            {t(message, { [param]: String(report[key]) })}
          </li>
        ))}
      </ul>
    </>
  );
}

function useReport(scope: string, period: Period) {
  const { operations } = useSession();
  return useQuery({
    query: operations.document("BurdenReport"), variables: { scope, ...period }, requestPolicy: "cache-and-network",
  });
}

/** op:BurdenReport for `scope` (a community's, on tap), with its loading and error states. */
export function BurdenReport({ scope, period }: { scope: string; period: Period }) {
  const [{ data, error, fetching }, reread] = useReport(scope, period);
  return (
    <div class="burden" aria-busy={fetching}>
      {error ? (
        <div role="alert" class="error">
          <p>{errorMessage(error)}</p>
          <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.retry")}</button>
        </div>
      ) : null}
      {fetching && !data ? <p>{t("common.loading")}</p> : null}
      {data ? <Figures report={data.burdenReport} attrs={{ "data-scope": data.burdenReport.scope }} /> : null}
    </div>
  );
}

/** The period and department the figures are narrowed to (both dates in China time, as the server counts). */
function PeriodForm({ period, onApply }: { period: Period; onApply: (period: Period) => void }) {
  const [from, setFrom] = useState(period.from ?? "");
  const [to, setTo] = useState(period.to ?? "");
  const [department, setDepartment] = useState(period.department ?? "");
  return (
    <form class="form" onSubmit={(e) => {
      e.preventDefault();
      onApply({ from: from || null, to: to || null, department: department.trim() || null });
    }}>
      <fieldset>
        <legend>{t("burden.period")}</legend>
        <label for="burden-from">{t("burden.from")}</label>
        <input id="burden-from" type="date" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        <label for="burden-to">{t("burden.to")}</label>
        <input id="burden-to" type="date" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        <label for="burden-department">{t("burden.department")}</label>
        <input id="burden-department" maxLength={200} value={department}
          onInput={(e) => setDepartment((e.target as HTMLInputElement).value)} />
        <button type="submit">{t("burden.apply")}</button>
      </fieldset>
    </form>
  );
}

/** Each department's figures (by the organization its tokens name), each opening on tap. */
function ByDepartment({ rows }: { rows: BurdenFigures["byDepartment"] }) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section aria-labelledby="burden-departments">
      <h3 id="burden-departments">{t("burden.byDepartment")}</h3>
      {rows.length === 0 ? <p class="empty">{t("burden.byDepartmentEmpty")}</p> : null}
      <ul class="burden-communities">
        {rows.map((row) => (
          <li key={row.department} data-department={row.department}>
            <button type="button" class="wide" aria-expanded={open === row.department}
              onClick={() => setOpen(open === row.department ? null : row.department)}>
              <span class="wrap">{row.department}</span>
              <span class="note">{summary(row)}</span>
            </button>
            {open === row.department ? <Figures report={row} attrs={{ "data-department": row.department }} /> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

function refusedOf(row: Numbers): number {
  return row.refusedOffList + row.quotaRefused + row.workBodiesRefused + row.signboardsRefused
    + row.targetContractsRefused + row.sealUsesRefused;
}

function summary(row: Numbers): string {
  return t("burden.communitySummary", { tasks: row.tasksDelegated, refused: refusedOf(row),
    inspections: row.inspections });
}

/** The communities of a scope broader than one community, each with its line of the report and opening its own
 * figures on tap. */
function ByCommunity({ scope, rows, period }: { scope: string; rows: BurdenFigures["byCommunity"]; period: Period }) {
  const { operations } = useSession();
  const [open, setOpen] = useState<string | null>(null);
  const [{ data, error }] = useQuery({
    query: operations.document("Communities"), variables: { scope, first: 100 }, requestPolicy: "cache-and-network",
  });
  if (error) return <p role="alert" class="error">{errorMessage(error)}</p>;
  const communities = data?.communities.edges.map((edge) => edge.node) ?? [];
  const lines = new Map(rows.map((row) => [row.communityCode, row]));
  return (
    <section aria-labelledby="burden-by">
      <h3 id="burden-by">{t("burden.byCommunity")}</h3>
      {data && communities.length === 0 ? <p class="empty">{t("communities.empty")}</p> : null}
      <ul class="burden-communities">
        {communities.map((community) => {
          const line = lines.get(community.code);
          return (
            <li key={community.code} data-community={community.code}>
              <button type="button" class="wide" aria-expanded={open === community.code}
                onClick={() => setOpen(open === community.code ? null : community.code)}>
                <span>{community.name}</span> <span class="note">{community.code}</span>
                {line ? <span class="note">{summary(line)}</span> : null}
              </button>
              {open === community.code ? <BurdenReport scope={community.code} period={period} /> : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** What needs action in the scope (op:BurdenAlerts), each in words from its fields. */
function Alerts({ scope }: { scope: string }) {
  const { operations } = useSession();
  const [{ data, error, fetching }] = useQuery({
    query: operations.document("BurdenAlerts"), variables: { scope }, requestPolicy: "cache-and-network",
  });
  const alerts = data?.burdenAlerts ?? [];
  return (
    <section aria-labelledby="burden-alerts">
      <h3 id="burden-alerts">{t("burden.alerts")}</h3>
      {error ? <p role="alert" class="error">{errorMessage(error)}</p> : null}
      {fetching && !data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {data && alerts.length === 0 ? <p class="empty">{t("burden.alertsEmpty")}</p> : null}
      <ul class="alerts">
        {alerts.map((alert, i) => (
          <li key={`${alert.kind}-${alert.communityCode ?? ""}-${alert.department ?? ""}-${alert.quarter ?? ""}-${alert.taskId ?? i}`}
            data-alert={alert.kind} data-alert-community={alert.communityCode ?? ""} data-count={alert.count}>
            <strong>{t(`alertKind.${alert.kind}`)}</strong>
            <p class="wrap">{t(`burden.alert.${alert.kind}`, {
              community: alert.communityCode ?? "", department: alert.department ?? "", count: alert.count,
              quarter: alert.quarter ?? "", since: alert.since ? time(alert.since) : "",
              provisions: (alert.provisions ?? []).join("、"), position: alert.position ?? "" })}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}

const PROVISIONS = ["P1", "P5", "P6", "P7", "P10"];

/** Every refused attempt in the scope, newest first (op:Refusals), narrowed to a provision if one is picked. */
function Refusals({ scope, department }: { scope: string; department: string | null }) {
  const { me, operations } = useSession();
  const [provision, setProvision] = useState("");
  const [first, setFirst] = useState(20);
  const [{ data, error, fetching }] = useQuery({
    query: operations.document("Refusals"),
    variables: { scope, provision: provision || null, department, first }, requestPolicy: "cache-and-network",
  });
  const page = data?.refusals;
  return (
    <section aria-labelledby="burden-refusals">
      <h3 id="burden-refusals">{t("burden.refusals")}</h3>
      <div class="form">
        <label for="burden-provision">{t("burden.provision")}</label>
        <select id="burden-provision" value={provision}
          onChange={(e) => { setProvision((e.target as HTMLSelectElement).value); setFirst(20); }}>
          <option value="">{t("burden.provisionAll")}</option>
          {PROVISIONS.map((p) => <option key={p} value={p}>{p}</option>)}
        </select>
      </div>
      {error ? <p role="alert" class="error">{errorMessage(error)}</p> : null}
      {fetching && !data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {page ? <p class="note">{t("burden.refusalsCount", { count: page.totalCount })}</p> : null}
      {page && page.edges.length === 0 ? <p class="empty">{t("burden.refusalsEmpty")}</p> : null}
      <ul class="refusals">
        {page?.edges.map(({ node }) => {
          const kind = t(`refusalKind.${node.code}`);
          return (
            <li key={node.refusalId} data-refusal={node.refusalId} data-position={node.position}
              data-provision={node.provision} data-code={node.code}>
              <strong>{t("burden.refusalOf", { provision: node.provision,
                kind: kind === `refusalKind.${node.code}` ? node.code : kind })}</strong>
              <p class="wrap note">{t("burden.refusalLine", { time: time(node.occurredAt), community: node.communityCode,
                department: node.department })}</p>
              <p class="wrap note">{t("event.position", { position: node.position })}</p>
              {READS_LOG.includes(me.role) ? (
                <a class="button-link" href={`/app/history?entity=${encodeURIComponent(node.refusalId)}`}
                  aria-label={`${t("refusal.viewRecord")} ${t("event.position", { position: node.position })}`}>
                  {t("refusal.viewRecord")}
                </a>
              ) : null}
            </li>
          );
        })}
      </ul>
      {page?.pageInfo.hasNextPage ? (
        <button type="button" onClick={() => setFirst(Math.min(first + 50, 200))} disabled={first >= 200}>
          {t("common.loadMore")}
        </button>
      ) : null}
    </section>
  );
}

/** The burden screen of the signed-in actor's scope (every role that has it in its navigation). */
export function BurdenScreen() {
  const { me } = useSession();
  const [period, setPeriod] = useState<Period>(ALL);
  const [{ data, error, fetching }, reread] = useReport(me.scope, period);
  const report = data?.burdenReport;
  return (
    <main class="screen gov">
      <h2>{t("burden.title")}</h2>
      <p class="note">{t("burden.scope", { scope: me.scope || "—" })}</p>
      <PeriodForm period={period} onApply={setPeriod} />
      <section aria-labelledby="burden-whole">
        <h3 id="burden-whole">{t("burden.whole")}</h3>
        <p class="note">{period.from || period.to ? t("burden.periodOf", { from: period.from ?? "…", to: period.to ?? "…" })
          : t("burden.all")}{period.department ? ` · ${period.department}` : ""}</p>
        <div class="burden" aria-busy={fetching}>
          {error ? (
            <div role="alert" class="error">
              <p>{errorMessage(error)}</p>
              <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.retry")}</button>
            </div>
          ) : null}
          {fetching && !data ? <p>{t("common.loading")}</p> : null}
          {report ? <Figures report={report} attrs={{ "data-scope": report.scope }} /> : null}
        </div>
      </section>
      <Alerts scope={me.scope} />
      {report ? <ByDepartment rows={report.byDepartment} /> : null}
      {me.scope.length < 12 ? <ByCommunity scope={me.scope} rows={report?.byCommunity ?? []} period={period} /> : null}
      <Refusals scope={me.scope} department={period.department} />
    </main>
  );
}
