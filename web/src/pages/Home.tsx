import { useEffect, useState } from 'preact/hooks';
import { api, type FeedVideo } from '../api';
import { FeedItem } from '../components/FeedItem';
import { Link } from '../components/Link';
import { errorMessage } from '../messages';
import { useSession } from '../session';

export function Home() {
  const session = useSession();
  const [videos, setVideos] = useState<FeedVideo[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api
      .latestVideos()
      .then((v) => live && setVideos(Array.isArray(v) ? v : []))
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, []);

  return (
    <>
      <section class="hero">
        <h1>Turn a sentence or a picture into a short video</h1>
        <p class="lead">Describe a scene or upload an image, pick a length and quality, and we render it for you.</p>
        {session.status === 'signedIn' ? (
          <p class="actions">
            <Link href="/create" class="btn btn-primary">Create a video</Link>
            <Link href="/videos" class="btn">My videos</Link>
          </p>
        ) : session.status === 'signedOut' ? (
          <p class="actions">
            <Link href="/signup" class="btn btn-primary" data-testid="home-signup">Sign up — it's free to start</Link>
            <Link href="/login" class="btn" data-testid="home-login">Sign in</Link>
          </p>
        ) : (
          <p class="actions" aria-hidden="true"><span class="btn btn-placeholder">&nbsp;</span></p>
        )}
      </section>

      <section aria-labelledby="feed-heading">
        <h2 id="feed-heading">Latest videos</h2>
        {error && <p class="notice notice-error" role="alert">{error}</p>}
        {videos === null && !error && <p class="muted" role="status">Loading videos…</p>}
        {videos !== null && videos.length === 0 && <p class="muted">No videos yet. Be the first to make one!</p>}
        {videos !== null && videos.length > 0 && (
          <ul class="grid" role="list">
            {videos.map((v) => (
              <FeedItem key={v.id} video={v} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
