/** 评议 Evaluation campaigns (P26). `Campaigns`: the community's campaigns (op:CommunityCampaigns), open ones first
 * to evaluate, each with its results; the committee also opens new ones there. `CampaignScreen` (/app/campaign/<id>,
 * the link the committee shares): the campaign's targets (op:CampaignDetail); a resident chooses 满意 / 基本满意 /
 * 不满意 and an optional comment per target and casts it (op:CastEvaluation, once per target). Who voted is not
 * readable by a resident (P26), so the phone remembers the targets it evaluated; a target evaluated before (here or
 * on another phone: DUPLICATE_EVALUATION) shows msg:campaign.done. In a secret campaign (every new one) the cast's
 * answer carries the ballot's receipt: the phone keeps it beside the target (it is kept nowhere else) and shows it,
 * and msg:campaign.check asks op:BallotCounted whether the ballot is counted yet. */
import { useClient, useQuery } from "@urql/preact";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { useCommand } from "../commands";
import { errorCode, errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import type { ResultOf, VariablesOf } from "../operations";
import { useSession } from "../state";
import { ownCommunity, refusalMessage } from "./fields";
import "./parts.css";
import "./campaign.css";

type Campaign = NonNullable<ResultOf<"CampaignDetail">["evaluationCampaign"]>;
type Target = Campaign["targets"][number];
type Satisfaction = VariablesOf<"CastEvaluation">["input"]["satisfaction"];
const CHOICES: Satisfaction[] = ["SATISFIED", "BASICALLY_SATISFIED", "DISSATISFIED"];

export function Campaigns() {
  const { me, operations } = useSession();
  const code = ownCommunity(me.scope);
  const [{ data, error, fetching }, reread] = useQuery({
    query: operations.document("CommunityCampaigns"), variables: { scope: code ?? me.scope },
    requestPolicy: "cache-and-network",
  });
  // Open ones first (those a resident can still evaluate), each group newest first as the server lists them.
  const campaigns = (data?.evaluationCampaigns.edges.map((edge) => edge.node) ?? [])
    .sort((a, b) => Number(b.open) - Number(a.open));
  return (
    <main class="screen">
      <h2>{t("campaign.listTitle")}</h2>
      {me.role === "COMMITTEE" && code ? (
        <div class="row-actions"><a class="button" href="/app/campaigns/new">{t("campaign.newTitle")}</a></div>
      ) : null}
      {fetching && !data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {error ? (
        <div role="alert" class="error">
          <p>{errorMessage(error)}</p>
          <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.retry")}</button>
        </div>
      ) : null}
      {data && campaigns.length === 0 ? <p class="empty">{t("campaign.listEmpty")}</p> : null}
      <ul class="plain">
        {campaigns.map((campaign) => (
          <li key={campaign.id} class="card" data-campaign={campaign.id}>
            <h3>{campaign.title}</h3>
            <p class="note">
              {campaign.open ? t("campaign.isOpen") : t("campaign.isClosed")} · {t("campaign.closes", { time: time(campaign.closesAt) })}
            </p>
            <p class="note">{campaign.targets.map((target) => target.name).join("、")}</p>
            <div class="row-actions">
              {campaign.open ? (
                <a class="button" href={`/app/campaign/${encodeURIComponent(campaign.id)}`}>{t("campaign.open")}</a>
              ) : null}
              <a class="button" href={`/app/campaign/${encodeURIComponent(campaign.id)}/results`}>{t("campaign.results")}</a>
            </div>
          </li>
        ))}
      </ul>
    </main>
  );
}

/** The targets this phone has evaluated as this resident ("<campaign>/<target>"), kept on the phone. */
function evaluatedKey(actor: string): string {
  return `gongzhi.evaluated.${actor}`;
}

function readEvaluated(actor: string): Set<string> {
  try {
    const stored = JSON.parse(localStorage.getItem(evaluatedKey(actor)) ?? "[]") as unknown;
    return new Set(Array.isArray(stored) ? stored.filter((x): x is string => typeof x === "string") : []);
  } catch {
    return new Set();
  }
}

function remember(actor: string, done: Set<string>): void {
  try {
    localStorage.setItem(evaluatedKey(actor), JSON.stringify([...done]));
  } catch {
    // A phone that cannot store it still shows it done until the screen closes.
  }
}

/** The receipts of this resident's secret ballots ("<campaign>/<target>" -> receipt), kept on this phone only. */
function receiptsKey(actor: string): string {
  return `gongzhi.receipts.${actor}`;
}

function readReceipts(actor: string): Record<string, string> {
  try {
    const stored = JSON.parse(localStorage.getItem(receiptsKey(actor)) ?? "{}") as unknown;
    return stored && typeof stored === "object" ? (stored as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function keepReceipt(actor: string, key: string, receipt: string): void {
  try {
    localStorage.setItem(receiptsKey(actor), JSON.stringify({ ...readReceipts(actor), [key]: receipt }));
  } catch {
    // A phone that cannot store it still shows it until the screen closes.
  }
}

export function CampaignScreen({ id }: { id: string }) {
  const { me, operations } = useSession();
  const { route } = useLocation();
  const [{ data, error, fetching }, reread] = useQuery({
    query: operations.document("CampaignDetail"), variables: { id }, requestPolicy: "cache-and-network",
  });
  const [done, setDone] = useState<Set<string>>(() => readEvaluated(me.id));
  const [receipts, setReceipts] = useState<Record<string, string>>(() => readReceipts(me.id));
  const campaign = data?.evaluationCampaign;
  // A link whose id is no campaign id at all (INVALID_INPUT) or names none (NOT_FOUND) is a wrong link.
  const wrongLink = error ? ["INVALID_INPUT", "NOT_FOUND"].includes(errorCode(error) ?? "") : false;
  const resident = me.role === "RESIDENT";
  const results = `/app/campaign/${encodeURIComponent(id)}/results`;

  function mark(target: Target, receipt?: string | null) {
    const next = new Set(done);
    next.add(`${id}/${target.id}`);
    setDone(next);
    remember(me.id, next);
    if (receipt) {
      keepReceipt(me.id, `${id}/${target.id}`, receipt);
      setReceipts({ ...receipts, [`${id}/${target.id}`]: receipt });
    }
  }

  return (
    <main class="screen">
      <button type="button" class="link back" onClick={() => route("/app/campaigns")}>{t("common.back")}</button>
      <h2>{t("campaign.title")}</h2>
      {fetching && !data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {error && !wrongLink ? (
        <div role="alert" class="error">
          <p>{errorMessage(error)}</p>
          <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.retry")}</button>
        </div>
      ) : null}
      {wrongLink || (data && !campaign) ? <p class="empty" role="alert">{t("campaign.notFound")}</p> : null}
      {campaign ? (
        <>
          <section class="card" aria-labelledby="campaign-name">
            <h3 id="campaign-name">{campaign.title}</h3>
            <p class="note">
              {campaign.open ? t("campaign.isOpen") : t("campaign.isClosed")} · {t("campaign.closes", { time: time(campaign.closesAt) })}
            </p>
          </section>
          {campaign.secret ? <p class="note" data-secret="true">{t("campaign.secretNote")}</p> : null}
          {!campaign.open ? <p role="alert" class="error">{t("error.CAMPAIGN_CLOSED")}</p> : null}
          {campaign.open && !resident ? <p class="note">{t("campaign.residentsOnly")}</p> : null}
          {campaign.targets.map((target) => (
            <TargetCard key={target.id} campaignId={id} target={target} done={done.has(`${id}/${target.id}`)}
              receipt={receipts[`${id}/${target.id}`] ?? null}
              canCast={campaign.open && resident} onDone={(receipt) => mark(target, receipt)}
              onClosed={() => route(results)} />
          ))}
          <div class="row-actions">
            <a class="button" href={results}>{t("campaign.results")}</a>
          </div>
        </>
      ) : null}
    </main>
  );
}

function TargetCard({ campaignId, target, done, receipt, canCast, onDone, onClosed }: {
  campaignId: string; target: Target; done: boolean; receipt: string | null; canCast: boolean;
  onDone: (receipt?: string | null) => void; onClosed: () => void;
}) {
  const [casting, cast] = useCommand("CastEvaluation");
  const [choice, setChoice] = useState<Satisfaction | null>(null);
  const [comment, setComment] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [queued, setQueued] = useState(false);
  const base = `t-${campaignId}-${target.id}`.replace(/[^\w-]/g, "_");

  async function submit() {
    if (!choice) {
      setNotice(t("campaign.choose"));
      return;
    }
    setNotice(null);
    const outcome = await cast(
      { input: { campaignId, targetId: target.id, satisfaction: choice, comment: comment.trim() || null } },
      { target: target.name });
    if (outcome.state === "done") {
      onDone(outcome.data.castEvaluation.ballotReceipt);
    } else if (outcome.state === "queued") {
      setQueued(true);
      onDone(); // a queued ballot cannot be cast again from this phone (its retries carry the same key)
    } else if (outcome.code === "DUPLICATE_EVALUATION") {
      setNotice(outcome.message);
      onDone();
    } else if (outcome.code === "CAMPAIGN_CLOSED") {
      onClosed();
    } else if (outcome.code === "NOT_FOUND") {
      setNotice(t("campaign.notFound"));
    } else {
      setNotice(refusalMessage(outcome));
    }
  }

  return (
    <section class="card target" aria-labelledby={`${base}-name`} data-target={target.id}>
      <h3 id={`${base}-name`}>{target.name}</h3>
      <p class="note">{t(`targetKind.${target.kind}`)}</p>
      {done ? <p class="done" data-done="true">{queued ? t("state.queued") : t("campaign.done")}</p> : null}
      {notice ? <p role="alert" class="error">{notice}</p> : null}
      {done && receipt ? <BallotReceipt receipt={receipt} /> : null}
      {canCast && !done ? (
        <form class="entry" noValidate onSubmit={(event) => { event.preventDefault(); void submit(); }}>
          <fieldset>
            <legend>{t("campaign.castFor", { target: target.name })}</legend>
            <div class="picks">
              {CHOICES.map((value) => (
                <label key={value} class={choice === value ? "pick on" : "pick"}>
                  <input type="radio" name={`${base}-choice`} value={value} checked={choice === value}
                    onChange={() => setChoice(value)} />
                  <span>{t(`satisfaction.${value}`)}</span>
                </label>
              ))}
            </div>
          </fieldset>
          <label for={`${base}-comment`}>{t("campaign.comment")}</label>
          <textarea id={`${base}-comment`} rows={3} maxLength={2000} value={comment}
            onInput={(event) => setComment((event.target as HTMLTextAreaElement).value)} />
          <div class="actions">
            <button type="submit" class="primary" disabled={casting.state === "sending"}>{t("campaign.cast")}</button>
          </div>
        </form>
      ) : null}
    </section>
  );
}

/** A secret ballot's receipt, as this phone keeps it, and whether the ballot is counted yet (op:BallotCounted). */
function BallotReceipt({ receipt }: { receipt: string }) {
  const { operations } = useSession();
  const client = useClient();
  const [answer, setAnswer] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  async function check() {
    setChecking(true);
    const result = await client.query(operations.document("BallotCounted"), { receipt },
      { requestPolicy: "network-only" }).toPromise();
    setChecking(false);
    const found = result.data?.ballotCounted;
    if (result.error || !found) {
      setAnswer(result.error ? errorMessage(result.error) : t("campaign.unknown"));
    } else if (found.status === "COUNTED") {
      setAnswer(t("campaign.counted", { position: String(found.position ?? ""),
        others: String(Math.max(0, (found.batchSize ?? 1) - 1)) }));
    } else {
      setAnswer(t(found.status === "PENDING" ? "campaign.pending" : "campaign.unknown"));
    }
  }

  return (
    <div class="receipt" data-receipt={receipt}>
      <p>{t("campaign.receipt", { receipt })}</p>
      <p class="note">{t("campaign.receiptHint")}</p>
      <div class="actions">
        <button type="button" disabled={checking} onClick={() => void check()}>{t("campaign.check")}</button>
      </div>
      {answer ? <p role="status" class="note" data-counted="true">{answer}</p> : null}
    </div>
  );
}
