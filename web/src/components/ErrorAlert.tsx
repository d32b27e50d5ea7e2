/** An error shown where it happened, with the one action that may fix it (retry, dismiss). */
export function ErrorAlert({
  message,
  action,
  onAction,
  small = false,
}: {
  message: string;
  action: string;
  onAction: () => void;
  small?: boolean;
}) {
  return (
    <div className="alert error" role="alert">
      <p>{message}</p>
      <button type="button" className={small ? "btn small" : "btn"} onClick={onAction}>
        {action}
      </button>
    </div>
  );
}
