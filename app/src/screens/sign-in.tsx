/** 登录 Sign-in: a pasted token (a link's token arrives through the fragment instead, see session.ts). */
import { useState } from "preact/hooks";
import { t } from "../messages";

export function SignIn({ onToken, error }: { onToken: (token: string) => void; error?: string }) {
  const [value, setValue] = useState("");
  return (
    <main class="screen">
      <h1>{t("signIn.title")}</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (value.trim()) onToken(value.trim());
        }}
      >
        <label for="token">{t("signIn.paste")}</label>
        <textarea id="token" rows={4} value={value} autocomplete="off" spellcheck={false}
          aria-describedby="token-note token-error"
          onInput={(event) => setValue((event.target as HTMLTextAreaElement).value)} />
        {error ? <p id="token-error" role="alert" class="error">{error}</p> : null}
        <p id="token-note" class="note">{t("signIn.session")}</p>
        <button type="submit" class="primary">{t("signIn.submit")}</button>
      </form>
    </main>
  );
}
