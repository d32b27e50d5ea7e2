import { useId, useState, type FormEvent } from "react";

type Props = { onSubmit: (token: string) => void; rejected: boolean };

/** Asks for the studio's token (TABRL_TOKEN) when the server wants one. */
export function TokenForm({ onSubmit, rejected }: Props) {
  const [value, setValue] = useState("");
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) onSubmit(value.trim());
  };
  return (
    <section className="panel token-panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>This studio needs a token</h2>
      <p className="muted">
        Ask whoever runs the server for its token (<code>TABRL_TOKEN</code>). It is kept in this browser.
      </p>
      <form onSubmit={submit} className="token-form">
        <label htmlFor={`${id}-token`}>Access token</label>
        <input
          id={`${id}-token`}
          type="password"
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" className="btn primary" disabled={!value.trim()}>
          Use token
        </button>
      </form>
      {rejected && (
        <p className="alert error" role="alert">
          The server refused the token. Check it and try again.
        </p>
      )}
    </section>
  );
}
