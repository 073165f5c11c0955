import { useRef } from 'preact/hooks';
import type { FeedVideo } from '../api';
import { formatDate } from '../format';
import { useSteadySrc } from '../hooks';

/** A muted looping preview that plays on hover, keyboard focus or tap. */
export function FeedItem({ video }: { video: FeedVideo }) {
  const ref = useRef<HTMLVideoElement>(null);
  const src = useSteadySrc(ref, video.videoUrl);
  const title = video.title?.trim() || 'Untitled video';

  const play = () => {
    const v = ref.current;
    if (v && v.paused) v.play().catch(() => undefined);
  };
  const pause = () => ref.current?.pause();
  const toggle = () => (ref.current?.paused ? play() : pause());
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      toggle();
    }
  };

  return (
    <li class="card feed-item" data-testid="feed-item" data-video-id={video.id}>
      <div class="media-box">
        <video
          ref={ref}
          src={src}
          muted
          playsInline
          loop
          preload="metadata"
          tabIndex={0}
          aria-label={`Preview: ${title}. Press Enter to play or pause.`}
          onMouseEnter={play}
          onMouseLeave={pause}
          onFocus={play}
          onBlur={pause}
          onClick={toggle}
          onKeyDown={onKeyDown}
        />
      </div>
      <div class="card-body">
        <p class="card-title" title={title}>
          {title}
        </p>
        <p class="muted small">{formatDate(video.created_at)}</p>
      </div>
    </li>
  );
}
