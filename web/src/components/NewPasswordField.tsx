/** A new password input with its hint (the API takes 8 characters or more). */
export function NewPasswordField({ id, value, onInput, label = 'New password' }: { id: string; value: string; onInput: (v: string) => void; label?: string }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type="password" autocomplete="new-password" required value={value}
        onInput={(e) => onInput(e.currentTarget.value)} aria-describedby={`${id}-hint`} data-testid={id} />
      <p class="hint" id={`${id}-hint`}>At least 8 characters.</p>
    </div>
  );
}
