/** 岗位和人员 Posts and staff (committee and street office; P11; the street office first picks a community, or
 * `?community=<code>` picks it): the community's posts of community work with their duties, service
 * procedures and staff (op:Posts); define a post (op:DefinePost), appoint a person to one with name and phone
 * (op:AppointStaff; personal data, shown only where the API returns it, else msg:posts.hidden), record a staff
 * member's appraisal for a period (op:RecordAppraisal). Every command goes through the outbox; the list is re-read
 * with X-Consistent-After after each. */
import { useQuery } from "@urql/preact";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { useCommand, type CommandOutcome } from "../commands";
import { errorMessage } from "../errors";
import { time } from "../format";
import { t } from "../messages";
import type { ResultOf } from "../operations";
import { useSession } from "../state";
import { consistentAfter } from "./consistent";
import { ownCommunity, refusalMessage } from "./fields";
import { PickCommunity } from "./pick-community";
import "./forms.css";
import "./standing.css";

type PostRow = ResultOf<"Posts">["posts"][number];
type StaffRow = PostRow["staff"][number];
const GRADES = ["EXCELLENT", "COMPETENT", "BASICALLY_COMPETENT", "INCOMPETENT"] as const;

function lines(text: string): string[] {
  return text.split("\n").map((line) => line.trim()).filter(Boolean);
}

/** A command's answer beside its form: queued, refused in words, or nothing (success is said by the caller). */
function Outcome({ outcome }: { outcome: CommandOutcome<any> | null }) {
  if (!outcome || outcome.state === "done") return null;
  if (outcome.state === "queued") return <p class="panel" role="status">{t("activity.queued")}</p>;
  return <p role="alert" class="error" data-code={outcome.code ?? ""}>{refusalMessage(outcome)}</p>;
}

function Appoint({ post, onDone }: { post: PostRow; onDone: (position: number) => void }) {
  const [personId, setPersonId] = useState("");
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  const [outcome, setOutcome] = useState<CommandOutcome<"AppointStaff"> | null>(null);
  const [sending, send] = useCommand("AppointStaff");
  const id = `appoint-${post.id}`;
  return (
    <form class="form panel" onSubmit={async (e) => {
      e.preventDefault();
      const result = await send({ input: { postId: post.id, personId: personId.trim(), name: name.trim(),
        phone: phone.trim() } }, { name: name.trim() });
      setOutcome(result);
      if (result.state === "done") onDone(result.data.appointStaff.receipt.position);
    }}>
      <h4 class="wrap">{t("posts.appointFor", { post: post.title })}</h4>
      <p class="hint">{t("posts.personalHint")}</p>
      <label for={`${id}-person`}>{t("posts.personId")}</label>
      <input id={`${id}-person`} required maxLength={100} autocomplete="off" value={personId}
        onInput={(e) => setPersonId((e.target as HTMLInputElement).value)} />
      <label for={`${id}-name`}>{t("posts.name")}</label>
      <input id={`${id}-name`} required maxLength={100} autocomplete="off" value={name}
        onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      <label for={`${id}-phone`}>{t("posts.phone")}</label>
      <input id={`${id}-phone`} required type="tel" inputMode="tel" maxLength={40} autocomplete="off" value={phone}
        onInput={(e) => setPhone((e.target as HTMLInputElement).value)} />
      <Outcome outcome={outcome} />
      <button type="submit" class="primary" disabled={sending.state === "sending"}>{t("posts.appointSubmit")}</button>
    </form>
  );
}

function Appraise({ staff, onDone }: { staff: StaffRow; onDone: (position: number) => void }) {
  const [period, setPeriod] = useState(String(new Date().getFullYear()));
  const [result, setResult] = useState<(typeof GRADES)[number]>("COMPETENT");
  const [reward, setReward] = useState("");
  const [sanction, setSanction] = useState("");
  const [outcome, setOutcome] = useState<CommandOutcome<"RecordAppraisal"> | null>(null);
  const [sending, send] = useCommand("RecordAppraisal");
  const id = `appraise-${staff.id}`;
  return (
    <form class="form panel" onSubmit={async (e) => {
      e.preventDefault();
      const answer = await send({ input: { staffId: staff.id, period: period.trim(), result,
        reward: reward.trim() || null, sanction: sanction.trim() || null } });
      setOutcome(answer);
      if (answer.state === "done") onDone(answer.data.recordAppraisal.receipt.position);
    }}>
      <h4 class="wrap">{t("posts.appraiseFor", { name: staff.name ?? staff.personId })}</h4>
      <label for={`${id}-period`}>{t("posts.period")}</label>
      <input id={`${id}-period`} required maxLength={40} value={period}
        onInput={(e) => setPeriod((e.target as HTMLInputElement).value)} />
      <label for={`${id}-result`}>{t("posts.result")}</label>
      <select id={`${id}-result`} value={result}
        onChange={(e) => setResult((e.target as HTMLSelectElement).value as typeof result)}>
        {GRADES.map((g) => <option key={g} value={g}>{t(`appraisalGrade.${g}`)}</option>)}
      </select>
      <label for={`${id}-reward`}>{t("posts.reward")}</label>
      <input id={`${id}-reward`} maxLength={500} value={reward}
        onInput={(e) => setReward((e.target as HTMLInputElement).value)} />
      <label for={`${id}-sanction`}>{t("posts.sanction")}</label>
      <input id={`${id}-sanction`} maxLength={500} value={sanction}
        onInput={(e) => setSanction((e.target as HTMLInputElement).value)} />
      <Outcome outcome={outcome} />
      <button type="submit" class="primary" disabled={sending.state === "sending"}>{t("posts.appraiseSubmit")}</button>
    </form>
  );
}

function Define({ community, onDone }: { community: string; onDone: (position: number) => void }) {
  const [title, setTitle] = useState("");
  const [duties, setDuties] = useState("");
  const [procedures, setProcedures] = useState("");
  const [outcome, setOutcome] = useState<CommandOutcome<"DefinePost"> | null>(null);
  const [sending, send] = useCommand("DefinePost");
  return (
    <section aria-labelledby="posts-define">
      <h3 id="posts-define">{t("posts.define")}</h3>
      {outcome?.state === "done" ? (
        <p class="panel ok" role="status" data-post={outcome.data.definePost.post.id}>{t("posts.defined")}</p>
      ) : null}
      <form class="form" onSubmit={async (e) => {
        e.preventDefault();
        const result = await send({ input: { communityCode: community, title: title.trim(), duties: lines(duties),
          procedures: lines(procedures) } }, { title: title.trim() });
        setOutcome(result);
        if (result.state === "done") {
          setTitle("");
          setDuties("");
          setProcedures("");
          onDone(result.data.definePost.receipt.position);
        }
      }}>
        <label for="post-title">{t("posts.postTitle")}</label>
        <input id="post-title" required maxLength={200} value={title}
          onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
        <label for="post-duties">{t("posts.duties")}</label>
        <textarea id="post-duties" required rows={3} value={duties}
          onInput={(e) => setDuties((e.target as HTMLTextAreaElement).value)} />
        <label for="post-procedures">{t("posts.procedures")}</label>
        <textarea id="post-procedures" rows={3} value={procedures}
          onInput={(e) => setProcedures((e.target as HTMLTextAreaElement).value)} />
        <Outcome outcome={outcome} />
        <button type="submit" class="primary" disabled={sending.state === "sending"}>{t("posts.defineSubmit")}</button>
      </form>
    </section>
  );
}

export function PostsScreen() {
  const { me } = useSession();
  const { query } = useLocation();
  const own = ownCommunity(me.scope);
  const [community, setCommunity] = useState(own ?? query.community ?? "");
  return (
    <main class="screen gov posts">
      <h2>{t("posts.title")}</h2>
      {own ? null : <PickCommunity id="posts-community" value={community} onPick={setCommunity} />}
      {community ? <PostsOf key={community} community={community} /> : null}
    </main>
  );
}

/** The posts of one community, and the form that defines another. */
function PostsOf({ community }: { community: string }) {
  const { token, operations } = useSession();
  const [open, setOpen] = useState<string | null>(null);
  const [{ data, error, fetching }, reread] = useQuery({
    query: operations.document("Posts"), variables: { communityCode: community },
    requestPolicy: "cache-and-network",
  });
  const posts = data?.posts ?? [];
  const done = (position: number) => {
    setOpen(null);
    reread(consistentAfter(token, position));
  };
  return (
    <>
      {error ? <p role="alert" class="error">{errorMessage(error)}</p> : null}
      {fetching && !data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {data && posts.length === 0 ? <p class="empty">{t("posts.empty")}</p> : null}
      <ul class="standing-list">
        {posts.map((post) => (
          <li key={post.id} data-post={post.id}>
            <h3 class="wrap">{post.title}</h3>
            <p>{t("posts.dutiesOf")}</p>
            <ul>{post.duties.map((duty, i) => <li key={i} class="wrap">{duty}</li>)}</ul>
            {post.procedures.length ? (
              <>
                <p>{t("posts.proceduresOf")}</p>
                <ol>{post.procedures.map((step, i) => <li key={i} class="wrap">{step}</li>)}</ol>
              </>
            ) : null}
            <p><strong>{t("posts.staff")}</strong></p>
            {post.staff.length === 0 ? <p class="note">{t("posts.noStaff")}</p> : null}
            <ul class="standing-list">
              {post.staff.map((staff) => (
                <li key={staff.id} data-staff={staff.id} data-person={staff.personId}>
                  <p class="wrap">{staff.name !== null || staff.phone !== null
                    ? t("posts.staffLine", { name: staff.name ?? "", phone: staff.phone ?? "" })
                    : `${staff.personId} ${t("posts.hidden")}`}</p>
                  <p class="note wrap">{staff.personId} · {t("posts.appointedAt", { time: time(staff.appointedAt) })}</p>
                  {staff.appraisals.map((a) => (
                    <p key={a.period} class="wrap" data-appraisal={a.period}>
                      {t("posts.appraisalLine", { period: a.period, result: t(`appraisalGrade.${a.result}`) })}
                      {a.reward ? ` · ${a.reward}` : ""}{a.sanction ? ` · ${a.sanction}` : ""}
                    </p>
                  ))}
                  <button type="button" aria-expanded={open === `appraise-${staff.id}`}
                    onClick={() => setOpen(open === `appraise-${staff.id}` ? null : `appraise-${staff.id}`)}>
                    {open === `appraise-${staff.id}` ? t("agreement.close") : t("posts.appraise")}</button>
                  {open === `appraise-${staff.id}` ? <Appraise staff={staff} onDone={done} /> : null}
                </li>
              ))}
            </ul>
            <button type="button" aria-expanded={open === `appoint-${post.id}`}
              onClick={() => setOpen(open === `appoint-${post.id}` ? null : `appoint-${post.id}`)}>
              {open === `appoint-${post.id}` ? t("agreement.close") : t("posts.appoint")}</button>
            {open === `appoint-${post.id}` ? <Appoint post={post} onDone={done} /> : null}
          </li>
        ))}
      </ul>
      <Define community={community} onDone={done} />
    </>
  );
}
