/** 发起评议 Open an evaluation campaign (P26): title, closing time, targets (id, name, kind; up to 100);
 * op:OpenEvaluationCampaign. On success the link residents use (/app/campaign/<id>) to copy and share, and the
 * campaign's results screen. */
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { useCommand } from "../commands";
import { time } from "../format";
import { t } from "../messages";
import type { ResultOf, VariablesOf } from "../operations";
import { useSession } from "../state";
import { isoFromLocal, localValue, ownCommunity, refusalMessage, refusedField } from "./fields";
import "./parts.css";

type Kind = VariablesOf<"OpenEvaluationCampaign">["input"]["targets"][number]["kind"];
type Opened = ResultOf<"OpenEvaluationCampaign">["openEvaluationCampaign"]["campaign"];
interface Target { id: string; name: string; kind: Kind }
const KINDS: Kind[] = ["GOVERNMENT_DEPARTMENT", "GOVERNMENT_STAFF", "RESIDENT_UNIT", "MUNICIPAL_SERVICE"];
const MAX_TARGETS = 100;

/** The address a resident opens to evaluate the campaign `id`. */
export function campaignLink(id: string): string {
  return `${location.origin}/app/campaign/${encodeURIComponent(id)}`;
}

export function OpenCampaignScreen() {
  const { me } = useSession();
  const { route } = useLocation();
  const [opening, open] = useCommand("OpenEvaluationCampaign");
  const [title, setTitle] = useState("");
  const [closesAt, setClosesAt] = useState(localValue(new Date(Date.now() + 7 * 24 * 3600 * 1000)));
  const [targets, setTargets] = useState<Target[]>([{ id: "", name: "", kind: "GOVERNMENT_DEPARTMENT" }]);
  const [missing, setMissing] = useState(false);
  const [opened, setOpened] = useState<Opened | null>(null);
  const [copied, setCopied] = useState(false);
  const [queued, setQueued] = useState(false);
  const code = ownCommunity(me.scope) ?? "";

  const change = (index: number, patch: Partial<Target>) =>
    setTargets(targets.map((target, i) => (i === index ? { ...target, ...patch } : target)));

  async function submit() {
    const when = isoFromLocal(closesAt);
    const chosen = targets.map((target) => ({ id: target.id.trim(), name: target.name.trim(), kind: target.kind }));
    if (!title.trim() || !when || chosen.some((target) => !target.id || !target.name)) {
      setMissing(true);
      return;
    }
    setMissing(false);
    const outcome = await open({ input: { communityCode: code, title: title.trim(), closesAt: when, targets: chosen } });
    if (outcome.state === "done") {
      setOpened(outcome.data.openEvaluationCampaign.campaign);
      setCopied(false);
    } else if (outcome.state === "queued") {
      setQueued(true);
    }
  }

  async function copy(link: string) {
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
    } catch {
      (document.getElementById("campaign-link") as HTMLInputElement | null)?.select();
    }
  }

  const refusal = opening.state === "refused" ? opening : null;
  const field = refusal ? refusedField(refusal.error) : null;
  const message = refusal ? refusalMessage(refusal) : null;
  if (opened) {
    const link = campaignLink(opened.id);
    return (
      <main class="screen">
        <h2>{t("campaign.newTitle")}</h2>
        <div class="success" role="status" data-campaign={opened.id}>
          <p>{t("campaign.opened")}</p>
          <p><strong>{opened.title}</strong></p>
          <p>{t("campaign.closes", { time: time(opened.closesAt) })}</p>
        </div>
        <div class="entry">
          <label for="campaign-link">{t("campaign.link")}</label>
          <input id="campaign-link" type="text" readOnly value={link} onFocus={(event) => (event.target as HTMLInputElement).select()} />
        </div>
        {copied ? <p class="note" role="status">{t("campaign.copied")}</p> : null}
        <div class="actions">
          <button type="button" class="primary" onClick={() => void copy(link)}>{t("common.copyLink")}</button>
          <a class="button" href={`/app/campaign/${encodeURIComponent(opened.id)}/results`}>{t("campaign.results")}</a>
          <button type="button" onClick={() => route("/app/campaigns")}>{t("common.back")}</button>
        </div>
      </main>
    );
  }
  return (
    <main class="screen">
      <button type="button" class="link back" onClick={() => route("/app/campaigns")}>{t("common.back")}</button>
      <h2>{t("campaign.newTitle")}</h2>
      {queued ? <p class="note" role="status">{t("state.queued")}</p> : null}
      <form class="entry" noValidate onSubmit={(event) => { event.preventDefault(); void submit(); }}>
        <label for="campaign-title">{t("campaign.name")}</label>
        <input id="campaign-title" type="text" maxLength={200} required aria-required="true" value={title}
          onInput={(event) => setTitle((event.target as HTMLInputElement).value)} />
        {field === "title" ? <p role="alert" class="error">{message}</p> : null}
        <label for="campaign-closes">{t("campaign.closesAt")}</label>
        <input id="campaign-closes" type="datetime-local" required aria-required="true" value={closesAt}
          onInput={(event) => setClosesAt((event.target as HTMLInputElement).value)} />
        {field === "closesAt" ? <p role="alert" class="error">{message}</p> : null}
        {targets.map((target, index) => (
          <fieldset key={index} data-target-index={index}>
            <legend>{t("campaign.targetN", { n: index + 1 })}</legend>
            <label for={`target-id-${index}`}>{t("campaign.targetId")}</label>
            <input id={`target-id-${index}`} type="text" maxLength={100} required aria-required="true" value={target.id}
              autocapitalize="off" spellcheck={false}
              onInput={(event) => change(index, { id: (event.target as HTMLInputElement).value })} />
            <label for={`target-name-${index}`}>{t("campaign.targetName")}</label>
            <input id={`target-name-${index}`} type="text" maxLength={200} required aria-required="true"
              value={target.name} onInput={(event) => change(index, { name: (event.target as HTMLInputElement).value })} />
            <label for={`target-kind-${index}`}>{t("campaign.targetKind")}</label>
            <select id={`target-kind-${index}`} value={target.kind}
              onChange={(event) => change(index, { kind: (event.target as HTMLSelectElement).value as Kind })}>
              {KINDS.map((kind) => <option key={kind} value={kind}>{t(`targetKind.${kind}`)}</option>)}
            </select>
            {targets.length > 1 ? (
              <div class="row-actions">
                <button type="button" onClick={() => setTargets(targets.filter((_, i) => i !== index))}>
                  {t("campaign.removeTarget")}
                </button>
              </div>
            ) : null}
          </fieldset>
        ))}
        {field === "targets" || (field?.startsWith("targets") ?? false) ? <p role="alert" class="error">{message}</p> : null}
        {targets.length < MAX_TARGETS ? (
          <button type="button" onClick={() => setTargets([...targets, { id: "", name: "", kind: "GOVERNMENT_DEPARTMENT" }])}>
            {t("campaign.addTarget")}
          </button>
        ) : null}
        {missing ? <p role="alert" class="error">{t("campaign.fillAll")}</p> : null}
        {refusal && !["title", "closesAt"].includes(field ?? "") && !(field?.startsWith("targets") ?? false)
          ? <p role="alert" class="error">{message}</p> : null}
        <div class="actions">
          <button type="submit" class="primary" disabled={opening.state === "sending"}>{t("campaign.submitOpen")}</button>
        </div>
      </form>
    </main>
  );
}
