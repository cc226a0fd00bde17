/** 辖区社区 Communities (street office, department): the communities in the actor's scope, 50 a page (op:Communities):
 * name, code, kind, duty list version, open tasks; each links to the delegate screen with it chosen. Above the list, 社区事务 (standing.tsx)
 * opens a community's standing and, for the street office only (a department may not define posts, P11), 岗位和人员
 * (posts.tsx) a community's posts and staff. */
import { useQuery } from "@urql/preact";
import { useState } from "preact/hooks";
import { errorMessage } from "../errors";
import { t } from "../messages";
import { useSession } from "../state";
import "./forms.css";
import "./communities.css";

function Page({ after, last, onMore }: { after: string | null; last: boolean; onMore: (cursor: string) => void }) {
  const { me, operations } = useSession();
  const [{ data, error, fetching }, reread] = useQuery({
    query: operations.document("Communities"), variables: { scope: me.scope, first: 50, after },
    requestPolicy: "cache-and-network",
  });
  const page = data?.communities;
  return (
    <>
      {error ? (
        <div role="alert" class="error">
          <p>{errorMessage(error)}</p>
          <button type="button" onClick={() => reread({ requestPolicy: "network-only" })}>{t("common.retry")}</button>
        </div>
      ) : null}
      {fetching && !data ? <p aria-busy="true">{t("common.loading")}</p> : null}
      {page && after === null ? <p class="note">{t("communities.count", { count: page.totalCount })}</p> : null}
      {page && after === null && page.edges.length === 0 ? <p class="empty">{t("communities.empty")}</p> : null}
      <ul class="communities">
        {page?.edges.map(({ node }) => (
          <li key={node.code} data-community={node.code}>
            <h3>{node.name}</h3>
            <p class="note">{t("communities.code", { code: node.code })} · {t(`communityKind.${node.kind}`)}</p>
            <p>{node.dutyListVersion > 0 ? t("communities.listVersion", { version: node.dutyListVersion })
              : t("communities.noList")} · {t("communities.openTasks", { count: node.openTasks })}</p>
            <a class="button-link" href={`/app/delegate?community=${encodeURIComponent(node.code)}`}>
              {t("communities.delegate", { name: node.name })}
            </a>
          </li>
        ))}
      </ul>
      {last && page?.pageInfo.hasNextPage && page.pageInfo.endCursor ? (
        <button type="button" onClick={() => onMore(page.pageInfo.endCursor!)}>{t("common.loadMore")}</button>
      ) : null}
    </>
  );
}

export function CommunitiesScreen() {
  const { me } = useSession();
  const [pages, setPages] = useState<(string | null)[]>([null]);
  return (
    <main class="screen gov">
      <h2>{t("communities.title")}</h2>
      <p class="links"><a class="button-link" href="/app/standing">{t("standing.open")}</a>
        {me.role === "STREET_OFFICE" ? <a class="button-link" href="/app/posts">{t("posts.title")}</a> : null}</p>
      {pages.map((after, i) => (
        <Page key={after ?? ""} after={after} last={i === pages.length - 1}
          onMore={(cursor) => setPages([...pages, cursor])} />
      ))}
    </main>
  );
}
