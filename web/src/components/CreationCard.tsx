import type { Creation } from '../api';
import { formatDateTime, formatElapsed, parseTime, plural } from '../format';
import { useRef } from 'preact/hooks';
import { useNow, useSteadySrc } from '../hooks';

interface Props {
  creation: Creation;
  favorite: boolean;
  onToggleFavorite: (c: Creation) => void;
}

const RATIOS: Record<string, string> = { '16:9': '16 / 9', '9:16': '9 / 16', '1:1': '1 / 1' };

/** Rows stored before the server checked result URLs may hold any scheme: only http(s) and our own paths become links. */
function isLinkable(url: string): boolean {
  return /^(https?:\/\/|\/(?!\/))/i.test(url);
}

/** What screen readers hear when the status changes (not the ticking timer). */
function announcement(c: Creation): string {
  switch (c.status) {
    case 'pending':
      return 'Queued';
    case 'processing':
      return 'Generating';
    case 'completed':
      return 'Video ready';
    case 'failed':
      return `Failed: ${c.error_message || 'unknown error'}${c.refunded ? `. ${plural(c.credits, 'credit', 'credits')} refunded` : ''}`;
  }
}

export function CreationCard({ creation: c, favorite, onToggleFavorite }: Props) {
  const now = useNow(c.status === 'processing');
  const ratio = RATIOS[String(c.additional_params?.aspect_ratio ?? '')] ?? '16 / 9';
  const duration = c.additional_params?.duration;
  const label = c.prompt?.trim() || 'Untitled video';
  const kind = c.task_type?.toLowerCase().includes('image') || c.task_type === 'i2v' ? 'Image to video' : 'Text to video';

  let status: string;
  if (c.status === 'pending') status = 'Queued';
  else if (c.status === 'processing') status = `Generating… ${formatElapsed(now - parseTime(c.created_at))}`;
  else if (c.status === 'completed') status = 'Ready';
  else status = 'Failed';

  return (
    <li class={`card creation status-${c.status}`} data-testid="creation-card" data-task-id={String(c.id)} data-status={c.status}>
      <div class="media-box" style={{ aspectRatio: ratio }}>
        {c.status === 'completed' && c.result_url ? (
          <ResultVideo src={c.result_url} poster={c.thumbnail_url} label={label} />
        ) : c.status === 'failed' ? (
          <div class="media-message">
            <p>Failed: {c.error_message || 'the provider did not return a video.'}</p>
            {c.refunded && <p class="refund">{plural(c.credits, 'credit', 'credits')} refunded</p>}
          </div>
        ) : (
          <div class="media-message" aria-hidden="true">
            {c.status === 'processing' && <span class="spinner" />}
            <span>{c.status === 'pending' ? 'Waiting in the queue' : 'Rendering your video'}</span>
          </div>
        )}
      </div>
      <div class="card-body">
        <div class="status-line">
          <span class={`badge badge-${c.status}`} aria-hidden="true" data-testid="creation-status">
            {status}
          </span>
          {c.status === 'completed' && c.result_url && isLinkable(c.result_url) && (
            <a class="download" href={c.result_url} download data-testid="download">
              Download<span class="visually-hidden"> video: {label}</span>
            </a>
          )}
          <button
            type="button"
            class="fav"
            aria-pressed={favorite}
            aria-label="Favorite"
            title={favorite ? 'Remove from favorites' : 'Add to favorites'}
            onClick={() => onToggleFavorite(c)}
            data-testid="favorite-toggle"
          >
            <span aria-hidden="true">{favorite ? '★' : '☆'}</span>
          </button>
        </div>
        <p class="visually-hidden" aria-live="polite" aria-atomic="true">
          {announcement(c)}
        </p>
        <p class="card-title clamp" title={label}>
          {label}
        </p>
        <p class="muted small meta">
          {kind} · {duration ?? '—'} · {c.high_quality ? 'High quality' : 'Standard'} ·{' '}
          {plural(c.credits, 'credit', 'credits')}
          <br />
          <time dateTime={c.created_at}>{formatDateTime(c.created_at)}</time>
        </p>
      </div>
    </li>
  );
}

function ResultVideo({ src, poster, label }: { src: string; poster: string | null; label: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  const shown = useSteadySrc(ref, src);
  return (
    <video
      ref={ref}
      src={shown}
      poster={poster ?? undefined}
      controls
      playsInline
      preload="metadata"
      aria-label={`Video: ${label}`}
    />
  );
}
