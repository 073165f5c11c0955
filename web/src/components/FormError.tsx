/**
 * An always-present alert region (so screen readers announce changes) with a fixed minimum height
 * (so the form does not jump). The test id is set only while there is a message.
 */
export function FormError({ message, id }: { message: string | null; id?: string }) {
  return (
    <p class="form-error" role="alert" id={id} data-testid={message ? 'form-error' : undefined}>
      {message ?? ''}
    </p>
  );
}
