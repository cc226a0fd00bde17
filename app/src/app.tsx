/**
 * The app's shell: sign-in, then the screens of the signed-in role (roles.tsx) with what every role shares: the
 * header (who is signed in, 待发送 pending, 设置 settings), the bars that say the data is offline or stale (with its
 * age) and that changes wait to be sent, and the outbox's sender for the signed-in actor (offline/outbox.ts).
 *
 * Offline start (frontend-spec/screens.md "Sign-in"): op:Me cannot be asked, so the actor is read from the token's
 * claims (unverified) to open that actor's screens, cache and queue; op:Me checks it once the phone is online.
 */
import type { Client, CombinedError } from "@urql/core";
import { Provider, useClient } from "@urql/preact";
import { render, type ComponentType } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { LocationProvider, Route, Router, useLocation } from "preact-iso";
import { clearCache, commandContext, hydrated, makeCheckClient, makeClient } from "./client";
import { errorCode, errorMessage } from "./errors";
import { t } from "./messages";
import { age, followActor, useNetwork } from "./offline/network";
import { attach, outboxAvailable, useOutbox } from "./offline/outbox";
import { loadOperations, type OperationName, type Operations } from "./operations";
import { sessionToken, signIn, signOut, tokenClaims } from "./session";
import { ROLE_SCREENS, type NavItem } from "./roles";
import { ActivityScreen } from "./screens/activity";
import { PendingScreen } from "./screens/pending";
import { SettingsScreen, SignOut } from "./screens/settings";
import { SignIn } from "./screens/sign-in";
import { Session } from "./state";
import type { Me, Role } from "./types";
import "./styles.css";

/** The roles that record activities (P22, P34; screens.md): /app/activities is theirs. */
const RECORDS_ACTIVITIES: Role[] = ["COMMITTEE", "PARTY_COMMITTEE", "STREET_OFFICE", "SOCIAL_ORGANIZATION"];

/** Starts the app in `root`: loads the trusted operations, then shows sign-in or the role's screens. */
export async function start(root: HTMLElement): Promise<void> {
  let operations: Operations;
  try {
    operations = await loadOperations();
  } catch {
    render(<main class="screen"><p role="alert">{t("error.network")}</p></main>, root);
    return;
  }
  render(<App operations={operations} />, root);
}

function App({ operations }: { operations: Operations }) {
  const [token, setToken] = useState(sessionToken());
  const actor = token ? tokenClaims(token)?.id ?? "unknown" : null;
  const client = useMemo(() => (token && actor ? makeClient(token, operations, actor) : null), [token, operations, actor]);
  const leave = async () => {
    signOut();
    if (actor) await clearCache(actor); // another actor must not see this one's data; the queue stays
    setToken(null);
    history.replaceState(null, "", "/app");
  };
  if (!token || !client) {
    return (
      <>
        <SignIn onToken={(value) => { signIn(value); setToken(value); }} />
        <QueuedForOthers actor={null} />
      </>
    );
  }
  return (
    <Provider value={client as Client}>
      <Signed token={token} operations={operations} onSignOut={leave} />
    </Provider>
  );
}

type Check = { me?: Me; verified: boolean; error?: CombinedError };

/** Opens the role's screens at once from the token's claims and checks the token with op:Me beside the screens' first
 * queries (one round trip less before the first screen; a token the server refuses returns to sign-in, and the
 * server answers nothing to it meanwhile). Offline, the claims hold until op:Me can check them. */
function Signed({ token, operations, onSignOut }: { token: string; operations: Operations; onSignOut: () => void }) {
  const client = useClient();
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let live = true;
    void hydrated(client).then(() => live && setReady(true));
    return () => { live = false; };
  }, [client]);
  const [check, setCheck] = useState<Check>(() => {
    const claims = tokenClaims(token);
    return claims ? { me: claims as Me, verified: false } : { verified: false };
  });
  useEffect(() => {
    let live = true;
    let again: ReturnType<typeof setTimeout> | undefined;
    const ask = () => {
      clearTimeout(again);
      makeCheckClient(token, operations).query(operations.document("Me"), {}).toPromise().then(({ data, error }) => {
        if (!live) return;
        if (data?.me) {
          setCheck({ me: data.me as Me, verified: true });
        } else if (error && errorCode(error) === null) {
          // No network: the token's claims choose the screens until op:Me can check them.
          const claims = tokenClaims(token);
          setCheck(claims ? { me: claims as Me, verified: false, error } : { verified: false, error });
          again = setTimeout(ask, 30_000); // and at the `online` event
        } else if (error && errorCode(error) !== "UNAUTHENTICATED") {
          // The server's own trouble (UNAVAILABLE, INTERNAL): keep the screens the claims opened, ask again later.
          setCheck((previous) => (previous.me ? previous : { verified: false, error }));
          again = setTimeout(ask, 30_000);
        } else {
          setCheck({ verified: false, error });
        }
      });
    };
    ask();
    window.addEventListener("online", ask);
    return () => {
      live = false;
      clearTimeout(again);
      window.removeEventListener("online", ask);
    };
  }, [token, operations]);
  const { me, verified, error } = check;
  if ((!me && !error) || !ready) return <main class="screen" aria-busy="true"><p>{t("common.loading")}</p></main>;
  if (error && errorCode(error) === "UNAUTHENTICATED") {
    return <SignIn error={errorMessage(error)} onToken={(value) => { signIn(value); location.reload(); }} />;
  }
  if (!me) return <main class="screen"><p role="alert">{error ? errorMessage(error) : ""}</p></main>;
  // "Not checked yet" is said only when op:Me could not be asked (offline), not while its answer is on its way.
  return <Shell me={me} verified={verified || !error} token={token} operations={operations} onSignOut={onSignOut} />;
}

interface ShellProps {
  me: Me;
  verified: boolean;
  token: string;
  operations: Operations;
  onSignOut: () => void;
}

function Shell({ me, verified, token, operations, onSignOut }: ShellProps) {
  const client = useClient(); // the Provider's: the sender's answers reach the cache
  useEffect(() => {
    void followActor(me.id);
  }, [me.id]);
  // The outbox's sender for this actor: each record with its own key, through the client (its answer into the cache).
  useEffect(() => attach(me.id, (record) => client
    .mutation(operations.document(record.name as OperationName) as never, record.variables, commandContext(token, record.key))
    .toPromise()), [client, me.id, operations, token]);
  const screens = ROLE_SCREENS[me.role];
  const shared: { path: string; component: ComponentType<any> }[] = [
    { path: "/app/pending", component: PendingScreen },
    { path: "/app/settings", component: SettingsScreen },
  ];
  if (RECORDS_ACTIVITIES.includes(me.role)) shared.push({ path: "/app/activities", component: ActivityScreen });
  return (
    <Session.Provider value={{ me, token, operations }}>
      <SignOut.Provider value={onSignOut}>
      <LocationProvider scope="/app">
        <header class="bar">
          <h1>{t("app.name")}</h1>
          <span class="who">{t("signIn.signedInAs", { role: t(`role.${me.role}`), actor: me.id })}</span>
          <nav class="shell-links" aria-label={t("nav.shell")}>
            <a href="/app/pending">{t("nav.pending")}</a>
            <a href="/app/settings">{t("nav.settings")}</a>
          </nav>
        </header>
        <StatusBars verified={verified} actor={me.id} />
        {screens ? (
          <>
            <Router>
              {[...shared, ...screens.routes].map(({ path, component }) => (
                <Route key={path} path={path} component={component} />
              ))}
              <Route default component={screens.home} />
            </Router>
            {screens.nav.length > 1 ? <BottomNav items={screens.nav} /> : null}
          </>
        ) : (
          <Router>
            {shared.map(({ path, component }) => <Route key={path} path={path} component={component} />)}
            <Route default component={() => <main class="screen"><p>{t("signIn.noScreens")}</p></main>} />
          </Router>
        )}
      </LocationProvider>
      </SignOut.Provider>
    </Session.Provider>
  );
}

/** The role's bottom navigation; the item of the screen shown is marked (aria-current, and in bold). */
function BottomNav({ items }: { items: NavItem[] }) {
  const { path } = useLocation();
  const current = items.reduce<NavItem | null>((best, item) => {
    const matches = item.path === "/app" ? path === "/app" || path === "/app/" : path === item.path
      || path.startsWith(`${item.path}/`);
    return matches && (!best || item.path.length > best.path.length) ? item : best;
  }, null);
  return (
    <nav class="bottom" aria-label={t("nav.label")}>
      {items.map((item) => (
        <a key={item.path} href={item.path} aria-current={item === current ? "page" : undefined}>{t(item.label)}</a>
      ))}
    </nav>
  );
}

/** The bars on every screen: the data's age when offline or stale, changes waiting to be sent, an unchecked sign-in. */
function StatusBars({ verified, actor }: { verified: boolean; actor: string }) {
  const network = useNetwork();
  const outbox = useOutbox();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  const offline = !network.online || network.unreachable;
  const mine = outbox.filter((r) => r.actor === actor);
  const waiting = mine.filter((r) => r.state !== "failed").length;
  const failed = mine.filter((r) => r.state === "failed").length;
  const ageText = network.lastAnswerAt ? age(network.lastAnswerAt, now) : null;
  return (
    <div class="status-bars" aria-live="polite">
      {offline ? (
        <p class="status-bar offline" data-state="offline">
          {ageText ? t("state.offline", { age: ageText }) : t("state.offlineNoData")}
        </p>
      ) : network.refreshFailed && ageText ? (
        <p class="status-bar stale" data-state="stale">{t("state.stale", { age: ageText })}</p>
      ) : null}
      {offline && !offlineCapable() ? <p class="status-bar offline" data-state="no-offline">{t("state.noOffline")}</p> : null}
      {!verified && !offline ? <p class="status-bar offline">{t("state.unchecked")}</p> : null}
      {waiting > 0 ? (
        <a class="status-bar queued" href="/app/pending" data-state="queued">
          {t("state.queuedCount", { count: waiting })}
        </a>
      ) : null}
      {failed > 0 ? (
        <a class="status-bar failed" href="/app/pending" data-state="failed">
          {t("state.failedCount", { count: failed })}
        </a>
      ) : null}
      <QueuedForOthers actor={actor} />
    </div>
  );
}

/** Whether this browser keeps the app and its commands offline (a service worker and IndexedDB; some in-app
 * browsers, and pages not served over HTTPS or from localhost, have neither). */
export function offlineCapable(): boolean {
  return outboxAvailable && "serviceWorker" in navigator;
}

/** Changes on this phone made by another actor: they wait until that actor signs in (offline.md, point 5). */
function QueuedForOthers({ actor }: { actor: string | null }) {
  const outbox = useOutbox();
  const others = new Map<string, number>();
  for (const record of outbox) {
    if (record.actor !== actor && record.state !== "failed") others.set(record.actor, (others.get(record.actor) ?? 0) + 1);
  }
  if (others.size === 0) return null;
  return (
    <div class={actor ? "" : "screen"}>
      {[...others].map(([who, count]) => (
        <p key={who} class="status-bar other" data-state="other">{t("signIn.queuedForOther", { count, actor: who })}</p>
      ))}
    </div>
  );
}
