/** 社区事务 A community's standing (government and committee; P5–P10): one screen per community, in parts chosen by
 * the tabs at its top (`?community=<code>&part=<part>`): 挂牌 its signboards (op:Signboards; hang op:HangSignboard,
 * take down op:RemoveSignboard, P6), 工作机构 its work bodies (op:WorkBodies; op:EstablishWorkBody, P5), 用印登记 its
 * seal ledger (op:SealLedger; op:UseSeal, P10), 检查 its inspections against the cap (op:InspectionCounts,
 * op:Inspections; op:RecordInspection, and for the government op:SetInspectionCap, P8), 纸质台账 paper-ledger demands
 * (op:RecordLedgerDemand, P9), and for the government 目标责任书 (op:ImposeTargetContract, always refused, P7); the
 * party committee has 挂牌 and 工作机构 only. Above the signboards, a RURAL community's 村企分开 (op:CommunitySeparation,
 * recorded by the street office with op:RecordVillageEnterpriseSeparation, P36), on which P6 turns. A rule's
 * refusal is shown as a card with its place in the log (refusal-card.tsx); every command goes through the outbox. */
import type { CombinedError } from "@urql/core";
import { useQuery } from "@urql/preact";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { useCommand, type CommandOutcome, type CommandName } from "../commands";
import { errorMessage } from "../errors";
import type { ResultOf } from "../operations";
import { time } from "../format";
import { t } from "../messages";
import { useSession } from "../state";
import type { Role } from "../types";
import { consistentAfter } from "./consistent";
import { isoFromLocal, localValue, ownCommunity, refusalMessage } from "./fields";
import { PickCommunity } from "./pick-community";
import { RefusalCard } from "./refusal-card";
import "./forms.css";
import "./standing.css";

type Part = "signboards" | "workBodies" | "seal" | "inspections" | "ledgers" | "contract";
const GOVERNMENT: Role[] = ["STREET_OFFICE", "DEPARTMENT"];

/** The tabs a role may use: the party committee hangs signboards and sets up work bodies only (access.py). */
function partsOf(role: Role): Part[] {
  if (role === "PARTY_COMMITTEE") return ["signboards", "workBodies"];
  const parts: Part[] = ["signboards", "workBodies", "seal", "inspections", "ledgers"];
  return GOVERNMENT.includes(role) ? [...parts, "contract"] : parts;
}

const SIGNBOARD_KINDS = ["PARTY_ORGANIZATION", "RESIDENTS_COMMITTEE", "VILLAGERS_COMMITTEE", "SERVICE_STATION",
  "COMMUNITY_EMBLEM", "COLLECTIVE_ECONOMIC_ORGANIZATION", "OTHER"] as const;
const WORK_BODY_KINDS = ["PARTY_ORGANIZATION", "RESIDENTS_COMMITTEE", "VILLAGERS_COMMITTEE", "COMMITTEE_SUBCOMMITTEE",
  "SERVICE_STATION", "DEPARTMENT_BODY"] as const;
const SEAL_KINDS = ["SELF_GOVERNANCE", "LEGAL_LIABILITY_CERTIFICATE", "ECONOMIC_LIABILITY_CERTIFICATE"] as const;

/** Who did it, in words: the organization its token named, else its role. */
function who(by: { role: Role; organization: string | null }): string {
  return by.organization ?? t(`role.${by.role}`);
}

/** The lines of a textarea, blank ones dropped. */
function lines(text: string): string[] {
  return text.split("\n").map((line) => line.trim()).filter(Boolean);
}

/** What a command's answer shows: nothing while idle, "queued", the rule's refusal card (for `code`), or another
 * refusal's words; `done` renders the success. */
function Answer<N extends CommandName>({ outcome, code, id, onBack, done }: {
  outcome: CommandOutcome<N> | null; code: string; id: string; onBack: () => void;
  done: (answer: { data: ResultOf<N> }) => preact.ComponentChildren;
}) {
  if (!outcome) return null;
  if (outcome.state === "done") return <>{done(outcome)}</>;
  if (outcome.state === "queued") return <p class="panel" role="status">{t("activity.queued")}</p>;
  if (outcome.code === code) {
    return <RefusalCard id={id} refused={outcome} rule={t(`standing.rule.${code}`)} onBack={onBack} />;
  }
  return <p role="alert" class="error" data-code={outcome.code ?? ""}>{refusalMessage(outcome)}</p>;
}

function Failed({ error }: { error: CombinedError | undefined }) {
  return error ? <p role="alert" class="error">{errorMessage(error)}</p> : null;
}

// -- P36 村企分开 (a RURAL community's; recorded by the street office) -------------------------------------------------

/** Whether a RURAL community's village and enterprises are separated (op:CommunitySeparation; nothing for an URBAN
 * one), what that means for its signboards (P6), and for the street office the form that records it
 * (op:RecordVillageEnterpriseSeparation; its answer's community updates the cached one). */
function Separation({ community }: { community: string }) {
  const { me, token, operations } = useSession();
  const [choice, setChoice] = useState<"yes" | "no" | "">("");
  const [outcome, setOutcome] = useState<CommandOutcome<"RecordVillageEnterpriseSeparation"> | null>(null);
  const [sending, send] = useCommand("RecordVillageEnterpriseSeparation");
  const [{ data, error }, reread] = useQuery({
    query: operations.document("CommunitySeparation"), variables: { code: community },
    requestPolicy: "cache-and-network",
  });
  const row = data?.community;
  if (error) return <Failed error={error} />;
  if (!row || row.kind !== "RURAL") return null;
  const separated = row.villageEnterpriseSeparated === true;

  async function submit(event: Event) {
    event.preventDefault();
    if (!choice) return;
    const result = await send({ communityCode: community, separated: choice === "yes" });
    setOutcome(result);
    if (result.state === "done") {
      setChoice("");
      reread(consistentAfter(token, result.data.recordVillageEnterpriseSeparation.receipt.position));
    }
  }

  return (
    <section class="panel separation" aria-labelledby="separation-title" data-separated={String(separated)}>
      <h3 id="separation-title">{t("separation.title")}</h3>
      <p class="separation-fact"><strong>{t(separated ? "separation.separated" : "separation.notSeparated")}</strong></p>
      <p class="wrap">{t(separated ? "separation.separatedMeans" : "separation.notSeparatedMeans")}</p>
      {me.role === "STREET_OFFICE" ? (
        <form class="form" onSubmit={submit}>
          <fieldset>
            <legend>{t("separation.record")}</legend>
            <label class="choice">
              <input type="radio" name="separation" value="yes" checked={choice === "yes"}
                onChange={() => setChoice("yes")} /><span class="mark" aria-hidden="true" />
              {t("separation.choiceSeparated")}
            </label>
            <label class="choice">
              <input type="radio" name="separation" value="no" checked={choice === "no"}
                onChange={() => setChoice("no")} /><span class="mark" aria-hidden="true" />
              {t("separation.choiceNotSeparated")}
            </label>
          </fieldset>
          {outcome?.state === "done" ? (
            <p class="panel ok" role="status" data-separated={String(outcome.data.recordVillageEnterpriseSeparation
              .villageEnterpriseSeparated)}>
              {t(outcome.data.recordVillageEnterpriseSeparation.villageEnterpriseSeparated ? "separation.recordedSeparated"
                : "separation.recordedNotSeparated")}</p>
          ) : null}
          {outcome?.state === "queued" ? <p class="panel" role="status">{t("activity.queued")}</p> : null}
          {outcome?.state === "refused" ? (
            <p role="alert" class="error" data-code={outcome.code ?? ""}>{refusalMessage(outcome)}</p>
          ) : null}
          <button type="submit" disabled={!choice || sending.state === "sending"}>{t("separation.submit")}</button>
        </form>
      ) : null}
    </section>
  );
}

// -- P6 挂牌 ---------------------------------------------------------------------------------------------------------

function Signboards({ community }: { community: string }) {
  const { token, operations } = useSession();
  const [all, setAll] = useState(false);
  const [kind, setKind] = useState<(typeof SIGNBOARD_KINDS)[number]>("RESIDENTS_COMMITTEE");
  const [text, setText] = useState("");
  const [removing, setRemoving] = useState<string | null>(null);
  const [reason, setReason] = useState("");
  const [outcome, setOutcome] = useState<CommandOutcome<"HangSignboard"> | null>(null);
  const [removed, setRemoved] = useState<CommandOutcome<"RemoveSignboard"> | null>(null);
  const [hanging, hang] = useCommand("HangSignboard");
  const [, remove] = useCommand("RemoveSignboard");
  const [list, reread] = useQuery({
    query: operations.document("Signboards"), variables: { communityCode: community, includeRemoved: all },
    requestPolicy: "cache-and-network",
  });
  const rows = list.data?.signboards ?? [];

  async function submit(event: Event) {
    event.preventDefault();
    const result = await hang({ input: { communityCode: community, kind, text: text.trim() } });
    setOutcome(result);
    if (result.state === "done") {
      setText("");
      reread(consistentAfter(token, result.data.hangSignboard.receipt.position));
    }
  }

  async function takeDown(event: Event, id: string) {
    event.preventDefault();
    const result = await remove({ id, reason: reason.trim() });
    setRemoved(result);
    if (result.state === "done") {
      setRemoving(null);
      setReason("");
      reread(consistentAfter(token, result.data.removeSignboard.receipt.position));
    }
  }

  return (
    <section aria-labelledby="part-title">
      <Separation community={community} />
      <h3 id="part-title">{t("signboard.list")}</h3>
      <label class="choice">
        <input type="checkbox" checked={all} onChange={() => setAll(!all)} /><span class="mark" aria-hidden="true" />
        {t("signboard.showRemoved")}
      </label>
      <Failed error={list.error} />
      {list.fetching && !list.data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {list.data && rows.length === 0 ? <p class="empty">{t("signboard.empty")}</p> : null}
      {removed?.state === "done" ? <p class="panel ok" role="status">{t("signboard.removed")}</p> : null}
      {removed?.state === "refused" ? <p role="alert" class="error">{refusalMessage(removed)}</p> : null}
      <ul class="standing-list">
        {rows.map((row) => (
          <li key={row.id} data-signboard={row.id} data-removed={String(row.removed)}>
            <strong class="wrap">{row.text}</strong>
            <p class="note">{t(`signboardKind.${row.kind}`)} · {t("signboard.hungBy", { time: time(row.hungAt),
              organization: who(row.hungBy) })}</p>
            {row.removed ? (
              <p class="tag off wrap">{t("signboard.removedLine", { time: row.removedAt ? time(row.removedAt) : "",
                reason: row.removalReason ?? "" })}</p>
            ) : removing === row.id ? (
              <form class="form" onSubmit={(e) => void takeDown(e, row.id)}>
                <p class="wrap">{t("signboard.removeFor", { text: row.text })}</p>
                <label for={`remove-${row.id}`}>{t("signboard.reason")}</label>
                <input id={`remove-${row.id}`} required maxLength={2000} value={reason}
                  onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
                <div class="row">
                  <button type="submit">{t("signboard.removeSubmit")}</button>
                  <button type="button" onClick={() => setRemoving(null)}>{t("common.cancel")}</button>
                </div>
              </form>
            ) : (
              <button type="button" onClick={() => { setRemoving(row.id); setReason(""); setRemoved(null); }}>
                {t("signboard.remove")}</button>
            )}
          </li>
        ))}
      </ul>
      <h3>{t("signboard.hang")}</h3>
      <Answer<"HangSignboard"> outcome={outcome} code="SIGNBOARD_NOT_ALLOWED" id="signboard-refused" onBack={() => setOutcome(null)}
        done={(o) => <p class="panel ok" role="status" data-signboard={o.data.hangSignboard.signboard.id}>
          {t("signboard.hung")}</p>} />
      {outcome?.state === "refused" && outcome.code === "SIGNBOARD_NOT_ALLOWED" ? null : (
        <form class="form" onSubmit={submit}>
          <label for="signboard-kind">{t("signboard.kind")}</label>
          <select id="signboard-kind" value={kind}
            onChange={(e) => setKind((e.target as HTMLSelectElement).value as typeof kind)}>
            {SIGNBOARD_KINDS.map((k) => <option key={k} value={k}>{t(`signboardKind.${k}`)}</option>)}
          </select>
          <label for="signboard-text">{t("signboard.text")}</label>
          <input id="signboard-text" required maxLength={200} value={text}
            onInput={(e) => setText((e.target as HTMLInputElement).value)} />
          <button type="submit" class="primary" disabled={hanging.state === "sending"}>{t("signboard.hang")}</button>
        </form>
      )}
    </section>
  );
}

// -- P5 工作机构 -----------------------------------------------------------------------------------------------------

function WorkBodies({ community }: { community: string }) {
  const { token, operations } = useSession();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<(typeof WORK_BODY_KINDS)[number]>("COMMITTEE_SUBCOMMITTEE");
  const [basis, setBasis] = useState("");
  const [outcome, setOutcome] = useState<CommandOutcome<"EstablishWorkBody"> | null>(null);
  const [sending, send] = useCommand("EstablishWorkBody");
  const [list, reread] = useQuery({
    query: operations.document("WorkBodies"), variables: { communityCode: community },
    requestPolicy: "cache-and-network",
  });
  const rows = list.data?.workBodies ?? [];

  async function submit(event: Event) {
    event.preventDefault();
    const result = await send({ input: { communityCode: community, name: name.trim(), kind,
      legalBasis: basis.trim() || null } });
    setOutcome(result);
    if (result.state === "done") {
      setName("");
      setBasis("");
      reread(consistentAfter(token, result.data.establishWorkBody.receipt.position));
    }
  }

  return (
    <section aria-labelledby="part-title">
      <h3 id="part-title">{t("workBody.list")}</h3>
      <Failed error={list.error} />
      {list.fetching && !list.data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {list.data && rows.length === 0 ? <p class="empty">{t("workBody.empty")}</p> : null}
      <ul class="standing-list">
        {rows.map((row) => (
          <li key={row.id} data-work-body={row.id}>
            <strong class="wrap">{row.name}</strong>
            <p class="note">{t("workBody.line", { kind: t(`workBodyKind.${row.kind}`), time: time(row.establishedAt),
              organization: who(row.establishedBy) })}</p>
            {row.legalBasis ? <p class="note wrap">{t("workBody.basis", { basis: row.legalBasis })}</p> : null}
          </li>
        ))}
      </ul>
      <h3>{t("workBody.establish")}</h3>
      <Answer<"EstablishWorkBody"> outcome={outcome} code="WORK_BODY_NOT_ALLOWED" id="work-body-refused" onBack={() => setOutcome(null)}
        done={(o) => <p class="panel ok" role="status" data-work-body={o.data.establishWorkBody.workBody.id}>
          {t("workBody.established")}</p>} />
      {outcome?.state === "refused" && outcome.code === "WORK_BODY_NOT_ALLOWED" ? null : (
        <form class="form" onSubmit={submit}>
          <label for="work-body-name">{t("workBody.name")}</label>
          <input id="work-body-name" required maxLength={200} value={name}
            onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          <label for="work-body-kind">{t("workBody.kind")}</label>
          <select id="work-body-kind" value={kind}
            onChange={(e) => setKind((e.target as HTMLSelectElement).value as typeof kind)}>
            {WORK_BODY_KINDS.map((k) => <option key={k} value={k}>{t(`workBodyKind.${k}`)}</option>)}
          </select>
          <label for="work-body-basis">{t("workBody.legalBasis")}</label>
          <input id="work-body-basis" maxLength={500} value={basis} aria-describedby="work-body-basis-hint"
            onInput={(e) => setBasis((e.target as HTMLInputElement).value)} />
          <p id="work-body-basis-hint" class="hint">{t("workBody.legalBasisHint")}</p>
          <button type="submit" class="primary" disabled={sending.state === "sending"}>{t("workBody.establish")}</button>
        </form>
      )}
    </section>
  );
}

// -- P10 用印登记 ----------------------------------------------------------------------------------------------------

function Seal({ community }: { community: string }) {
  const { token, operations } = useSession();
  const [purpose, setPurpose] = useState("");
  const [kind, setKind] = useState<(typeof SEAL_KINDS)[number]>("SELF_GOVERNANCE");
  const [document, setDocument] = useState("");
  const [requestedBy, setRequestedBy] = useState("");
  const [outcome, setOutcome] = useState<CommandOutcome<"UseSeal"> | null>(null);
  const [sending, send] = useCommand("UseSeal");
  const [list, reread] = useQuery({
    query: operations.document("SealLedger"), variables: { communityCode: community, first: 50 },
    requestPolicy: "cache-and-network",
  });
  const rows = list.data?.sealLedger.edges.map((edge) => edge.node) ?? [];

  async function submit(event: Event) {
    event.preventDefault();
    const result = await send({ input: { communityCode: community, purpose: purpose.trim(), kind,
      document: document.trim(), requestedBy: requestedBy.trim() || null } });
    setOutcome(result);
    if (result.state === "done") {
      setPurpose("");
      setDocument("");
      reread(consistentAfter(token, result.data.useSeal.receipt.position));
    }
  }

  return (
    <section aria-labelledby="part-title">
      <h3 id="part-title">{t("seal.list")}</h3>
      <Failed error={list.error} />
      {list.fetching && !list.data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {list.data && rows.length === 0 ? <p class="empty">{t("seal.empty")}</p> : null}
      <ul class="standing-list">
        {rows.map((row) => (
          <li key={row.id} data-seal-use={row.id}>
            <strong class="wrap">{row.document}</strong>
            <p class="wrap">{row.purpose}</p>
            <p class="note wrap">{t("seal.line", { time: time(row.usedAt), kind: t(`sealKind.${row.kind}`),
              requestedBy: row.requestedBy ?? who(row.usedBy) })}</p>
          </li>
        ))}
      </ul>
      <h3>{t("seal.use")}</h3>
      <Answer<"UseSeal"> outcome={outcome} code="SEAL_USE_NOT_ALLOWED" id="seal-refused" onBack={() => setOutcome(null)}
        done={(o) => <p class="panel ok" role="status" data-seal-use={o.data.useSeal.sealUse.id}>{t("seal.used")}</p>} />
      {outcome?.state === "refused" && outcome.code === "SEAL_USE_NOT_ALLOWED" ? null : (
        <form class="form" onSubmit={submit}>
          <label for="seal-purpose">{t("seal.purpose")}</label>
          <input id="seal-purpose" required maxLength={500} value={purpose}
            onInput={(e) => setPurpose((e.target as HTMLInputElement).value)} />
          <label for="seal-kind">{t("seal.kind")}</label>
          <select id="seal-kind" value={kind}
            onChange={(e) => setKind((e.target as HTMLSelectElement).value as typeof kind)}>
            {SEAL_KINDS.map((k) => <option key={k} value={k}>{t(`sealKind.${k}`)}</option>)}
          </select>
          <label for="seal-document">{t("seal.document")}</label>
          <input id="seal-document" required maxLength={500} value={document}
            onInput={(e) => setDocument((e.target as HTMLInputElement).value)} />
          <label for="seal-requested-by">{t("seal.requestedBy")}</label>
          <input id="seal-requested-by" maxLength={200} value={requestedBy}
            onInput={(e) => setRequestedBy((e.target as HTMLInputElement).value)} />
          <button type="submit" class="primary" disabled={sending.state === "sending"}>{t("seal.use")}</button>
        </form>
      )}
    </section>
  );
}

// -- P7 目标责任书 (government only) ---------------------------------------------------------------------------------

function Contract({ community }: { community: string }) {
  const [title, setTitle] = useState("");
  const [targets, setTargets] = useState("");
  const [outcome, setOutcome] = useState<CommandOutcome<"ImposeTargetContract"> | null>(null);
  const [sending, send] = useCommand("ImposeTargetContract");

  async function submit(event: Event) {
    event.preventDefault();
    const list = lines(targets);
    setOutcome(await send({ input: { communityCode: community, title: title.trim(), targets: list.length ? list : null } },
      { title: title.trim() }));
  }

  return (
    <section aria-labelledby="part-title">
      <h3 id="part-title">{t("standing.contract")}</h3>
      <p>{t("contract.intro")}</p>
      <Answer<"ImposeTargetContract"> outcome={outcome} code="TARGET_CONTRACT_ABOLISHED" id="contract-refused"
        onBack={() => { setOutcome(null); setTitle(""); setTargets(""); }} done={() => null} />
      {outcome?.state === "refused" && outcome.code === "TARGET_CONTRACT_ABOLISHED" ? null : (
        <form class="form" onSubmit={submit}>
          <label for="contract-title">{t("contract.title")}</label>
          <input id="contract-title" required maxLength={200} value={title}
            onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
          <label for="contract-targets">{t("contract.targets")}</label>
          <textarea id="contract-targets" rows={3} value={targets}
            onInput={(e) => setTargets((e.target as HTMLTextAreaElement).value)} />
          <button type="submit" class="primary" disabled={sending.state === "sending"}>{t("contract.submit")}</button>
        </form>
      )}
    </section>
  );
}

// -- P8 检查 ---------------------------------------------------------------------------------------------------------

function CapForm() {
  const { me } = useSession();
  const [max, setMax] = useState("");
  const [outcome, setOutcome] = useState<CommandOutcome<"SetInspectionCap"> | null>(null);
  const [sending, send] = useCommand("SetInspectionCap");
  if (!/^(\d{6}|\d{9})$/.test(me.scope)) return null; // a cap is a district's or a street's
  return (
    <form class="form" onSubmit={async (e) => {
      e.preventDefault();
      setOutcome(await send({ scope: me.scope, maxPerQuarter: Number(max) }));
    }}>
      <fieldset>
        <legend>{t("inspection.setCap")}</legend>
        <p class="hint">{t("inspection.capScope", { scope: me.scope })}</p>
        <label for="inspection-max">{t("inspection.max")}</label>
        <input id="inspection-max" type="number" inputMode="numeric" min={0} max={1000} required value={max}
          onInput={(e) => setMax((e.target as HTMLInputElement).value)} />
        {outcome?.state === "done" ? (
          <p class="panel ok" role="status">{t("inspection.capSet", { max: outcome.data.setInspectionCap.cap.maxPerQuarter })}</p>
        ) : null}
        {outcome?.state === "queued" ? <p class="panel" role="status">{t("activity.queued")}</p> : null}
        {outcome?.state === "refused" ? <p role="alert" class="error">{refusalMessage(outcome)}</p> : null}
        <button type="submit" disabled={sending.state === "sending"}>{t("inspection.capSubmit")}</button>
      </fieldset>
    </form>
  );
}

function Inspections({ community }: { community: string }) {
  const { me, token, operations } = useSession();
  const [body, setBody] = useState("");
  const [subject, setSubject] = useState("");
  const [date, setDate] = useState(() => localValue(new Date()));
  const [materials, setMaterials] = useState("");
  const [outcome, setOutcome] = useState<CommandOutcome<"RecordInspection"> | null>(null);
  const [sending, send] = useCommand("RecordInspection");
  const [counts, rereadCounts] = useQuery({
    query: operations.document("InspectionCounts"), variables: { scope: community, first: 8 },
    requestPolicy: "cache-and-network",
  });
  const [list, rereadList] = useQuery({
    query: operations.document("Inspections"), variables: { scope: community, first: 20 },
    requestPolicy: "cache-and-network",
  });
  const quarters = counts.data?.inspectionCounts.edges.map((edge) => edge.node) ?? [];
  const rows = list.data?.inspections.edges.map((edge) => edge.node) ?? [];

  async function submit(event: Event) {
    event.preventDefault();
    const list = lines(materials);
    const result = await send({ input: { communityCode: community, inspectingBody: body.trim(), subject: subject.trim(),
      date: isoFromLocal(date) ?? "", materialsRequested: list.length ? list : null } });
    setOutcome(result);
    if (result.state === "done") {
      setSubject("");
      setMaterials("");
      const context = consistentAfter(token, result.data.recordInspection.receipt.position);
      rereadCounts(context);
      rereadList(context);
    }
  }

  return (
    <section aria-labelledby="part-title">
      <h3 id="part-title">{t("inspection.counts")}</h3>
      <Failed error={counts.error} />
      {counts.fetching && !counts.data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {counts.data && quarters.length === 0 ? <p class="empty">{t("inspection.countsEmpty")}</p> : null}
      <ul class="standing-list">
        {quarters.map((row) => (
          <li key={row.quarter} data-quarter={row.quarter} data-count={row.inspections} data-cap={row.cap ?? ""}
            data-exceeded={String(row.exceeded)}>
            <strong>{t("inspection.countLine", { quarter: row.quarter, count: row.inspections })}</strong>
            {" "}<span class={row.exceeded ? "tag over" : "tag"}>
              {row.cap === null ? t("inspection.noCap") : t("inspection.cap", { cap: row.cap })}
              {row.exceeded ? ` · ${t("inspection.over")}` : ""}</span>
            <p class="note wrap">{row.byBody.map((b) => t("inspection.byBody", { body: b.inspectingBody,
              count: b.inspections })).join("，")}</p>
          </li>
        ))}
      </ul>
      {GOVERNMENT.includes(me.role) ? <CapForm /> : null}
      <h3>{t("inspection.record")}</h3>
      <Answer<"RecordInspection"> outcome={outcome} code="" id="inspection-refused" onBack={() => setOutcome(null)}
        done={(o) => (
          <div class="panel ok" role="status" data-inspection={o.data.recordInspection.inspection.id}>
            <p>{t("inspection.recorded", { ordinal: o.data.recordInspection.inspection.ordinal })}</p>
            {o.data.recordInspection.inspection.exceeded ? <p class="refusal-reason">{t("inspection.exceededNote")}</p>
              : null}
          </div>
        )} />
      <form class="form" onSubmit={submit}>
        <label for="inspection-body">{t("inspection.body")}</label>
        <input id="inspection-body" required maxLength={200} value={body}
          onInput={(e) => setBody((e.target as HTMLInputElement).value)} />
        <label for="inspection-subject">{t("inspection.subject")}</label>
        <input id="inspection-subject" required maxLength={500} value={subject}
          onInput={(e) => setSubject((e.target as HTMLInputElement).value)} />
        <label for="inspection-date">{t("inspection.date")}</label>
        <input id="inspection-date" type="datetime-local" required value={date}
          onInput={(e) => setDate((e.target as HTMLInputElement).value)} />
        <label for="inspection-materials">{t("inspection.materials")}</label>
        <textarea id="inspection-materials" rows={3} value={materials}
          onInput={(e) => setMaterials((e.target as HTMLTextAreaElement).value)} />
        <button type="submit" class="primary" disabled={sending.state === "sending"}>{t("inspection.record")}</button>
      </form>
      <h3>{t("inspection.recent")}</h3>
      <Failed error={list.error} />
      <ul class="standing-list">
        {rows.map((row) => (
          <li key={row.id} data-inspection={row.id}>
            <strong class="wrap">{t("inspection.line", { time: time(row.date), body: row.inspectingBody,
              subject: row.subject })}</strong>
            <p class="note">{t("inspection.ordinal", { ordinal: row.ordinal })}
              {row.exceeded ? ` · ${t("inspection.over")}` : ""}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}

// -- P9 纸质台账 -----------------------------------------------------------------------------------------------------

function Ledgers({ community }: { community: string }) {
  const [department, setDepartment] = useState("");
  const [ledger, setLedger] = useState("");
  const [demandedAt, setDemandedAt] = useState(() => localValue(new Date()));
  const [pages, setPages] = useState("");
  const [outcome, setOutcome] = useState<CommandOutcome<"RecordLedgerDemand"> | null>(null);
  const [sending, send] = useCommand("RecordLedgerDemand");

  async function submit(event: Event) {
    event.preventDefault();
    const result = await send({ input: { communityCode: community, department: department.trim(),
      ledger: ledger.trim(), demandedAt: isoFromLocal(demandedAt) ?? "", pages: pages ? Number(pages) : null } });
    setOutcome(result);
    if (result.state === "done") setLedger("");
  }

  return (
    <section aria-labelledby="part-title">
      <h3 id="part-title">{t("standing.ledgers")}</h3>
      <p>{t("ledger.intro")}</p>
      <Answer<"RecordLedgerDemand"> outcome={outcome} code="" id="ledger-refused" onBack={() => setOutcome(null)}
        done={(o) => <p class="panel ok wrap" role="status" data-ledger-demand={o.data.recordLedgerDemand.ledgerDemand.id}>
          {t("ledger.recorded", { department: o.data.recordLedgerDemand.ledgerDemand.department,
            ledger: o.data.recordLedgerDemand.ledgerDemand.ledger })}</p>} />
      <form class="form" onSubmit={submit}>
        <label for="ledger-department">{t("ledger.department")}</label>
        <input id="ledger-department" required maxLength={200} value={department}
          onInput={(e) => setDepartment((e.target as HTMLInputElement).value)} />
        <label for="ledger-ledger">{t("ledger.ledger")}</label>
        <input id="ledger-ledger" required maxLength={500} value={ledger}
          onInput={(e) => setLedger((e.target as HTMLInputElement).value)} />
        <label for="ledger-at">{t("ledger.demandedAt")}</label>
        <input id="ledger-at" type="datetime-local" required value={demandedAt}
          onInput={(e) => setDemandedAt((e.target as HTMLInputElement).value)} />
        <label for="ledger-pages">{t("ledger.pages")}</label>
        <input id="ledger-pages" type="number" inputMode="numeric" min={0} max={1000000} value={pages}
          onInput={(e) => setPages((e.target as HTMLInputElement).value)} />
        <button type="submit" class="primary" disabled={sending.state === "sending"}>{t("ledger.submit")}</button>
      </form>
    </section>
  );
}

const PARTS: Record<Part, { label: string; component: (props: { community: string }) => preact.JSX.Element }> = {
  signboards: { label: "standing.signboards", component: Signboards },
  workBodies: { label: "standing.workBodies", component: WorkBodies },
  seal: { label: "standing.seal", component: Seal },
  inspections: { label: "standing.inspections", component: Inspections },
  ledgers: { label: "standing.ledgers", component: Ledgers },
  contract: { label: "standing.contract", component: Contract },
};

export function StandingScreen() {
  const { me } = useSession();
  const { query } = useLocation();
  const own = ownCommunity(me.scope);
  const [community, setCommunity] = useState(own ?? query.community ?? "");
  const parts = partsOf(me.role);
  const [part, setPart] = useState<Part>(parts.includes(query.part as Part) ? (query.part as Part) : "signboards");
  const Shown = PARTS[part].component;
  return (
    <main class="screen gov standing">
      <h2>{t("standing.title")}</h2>
      {own ? <p class="note">{t("tasks.community", { code: own })}</p>
        : <PickCommunity id="standing-community" value={community} onPick={setCommunity} />}
      {community ? (
        <>
          <nav class="tabs standing-tabs" aria-label={t("standing.sections")}>
            {parts.map((p) => (
              <button key={p} type="button" class={p === part ? "tab on" : "tab"} aria-pressed={p === part}
                onClick={() => setPart(p)}>{t(PARTS[p].label)}</button>
            ))}
          </nav>
          <Shown key={`${community}-${part}`} community={community} />
        </>
      ) : null}
    </main>
  );
}
