import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { errorMessage } from '../messages';

/** Account: tells a user whose address is unconfirmed, and sends the link again on request. Nothing once confirmed. */
export function EmailNotice() {
  const [confirmed, setConfirmed] = useState(true);
  const [state, setState] = useState<'idle' | 'busy' | 'sent' | string>('idle');

  useEffect(() => {
    let live = true;
    api.me().then((r) => live && setConfirmed(r.user.email_confirmed !== false), () => undefined);
    return () => {
      live = false;
    };
  }, []);
  if (confirmed) return null;

  const resend = async () => {
    setState('busy');
    try {
      await api.resendConfirmation();
      setState('sent');
    } catch (err) {
      setState(errorMessage(err));
    }
  };

  return (
    <p class="notice notice-warn" role="status" data-testid="email-unconfirmed">
      Your email address is not confirmed yet: open the link we mailed you.{' '}
      {state === 'sent' ? (
        'A new link is on its way.'
      ) : (
        <button type="button" class="btn" disabled={state === 'busy'} onClick={() => void resend()} data-testid="resend-confirmation">
          Send the link again
        </button>
      )}
      {state !== 'idle' && state !== 'busy' && state !== 'sent' && <span class="form-error"> {state}</span>}
    </p>
  );
}
