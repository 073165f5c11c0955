import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Creation } from '../api';
import { CreationCard } from '../components/CreationCard';
import { Link } from '../components/Link';
import { isUnfinished, readAgain, useLiveTasks } from '../liveTasks';
import { errorMessage } from '../messages';
import { useSession } from '../session';

const PAGE = 24;

function byNewest(a: Creation, b: Creation): number {
  return b.id - a.id;
}

/** How far a task has gone: it never goes back. */
const PROGRESS: Record<Creation['status'], number> = { pending: 0, processing: 1, completed: 2, failed: 2 };

/**
 * Whether `incoming` is an older state than `current`: a page read before a live update can arrive after it, and
 * must not take the card back (the task would then show as running with no update left to come).
 */
function isOlder(incoming: Creation, current: Creation): boolean {
  const step = PROGRESS[incoming.status] - PROGRESS[current.status];
  return step < 0 || (step === 0 && Date.parse(incoming.updated_at) < Date.parse(current.updated_at));
}

/** Replace the item with the same id (unless with an older state), or add it, keeping newest first. */
function upsert(list: Creation[], c: Creation): Creation[] {
  const i = list.findIndex((x) => x.id === c.id);
  if (i >= 0) {
    if (isOlder(c, list[i]!)) return list;
    const next = list.slice();
    next[i] = c;
    return next;
  }
  return [...list, c].sort(byNewest);
}

export function Videos() {
  const session = useSession();
  const [creations, setCreations] = useState<Creation[]>([]);
  const [extras, setExtras] = useState<Creation[]>([]); // favorites beyond the loaded pages
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [favorites, setFavorites] = useState<Set<number>>(new Set());
  const [onlyFavorites, setOnlyFavorites] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const listRef = useRef<Creation[]>([]);
  listRef.current = [...creations, ...extras];
  const extrasRef = useRef<Creation[]>([]);
  extrasRef.current = extras;

  const onUpdate = useCallback(
    (c: Creation) => {
      const prev = listRef.current.find((x) => x.id === c.id);
      if (c.status === 'failed' && prev?.status !== 'failed') void session.refreshBalance();
      const onlyInExtras = extrasRef.current.some((x) => x.id === c.id);
      setExtras((list) => (list.some((x) => x.id === c.id) ? upsert(list, c) : list));
      // Unknown tasks are new (made in another tab, say): add them to the top of the main list.
      setCreations((list) => (onlyInExtras && !list.some((x) => x.id === c.id) ? list : upsert(list, c)));
    },
    [session.refreshBalance],
  );
  useLiveTasks(() => listRef.current.filter(isUnfinished), onUpdate);
  const onUpdateRef = useRef(onUpdate);
  onUpdateRef.current = onUpdate;

  const loadPage = useCallback(async (before: number | null) => {
    const page = await api.creations(PAGE, before);
    setCreations((list) => page.creations.reduce(upsert, list));
    setExtras((list) => list.filter((x) => !page.creations.some((c) => c.id === x.id)));
    setNextBefore(page.next_before);
    // What the page says is already past: a running task may have changed before the stream listened.
    void readAgain(page.creations.filter(isUnfinished), (c) => onUpdateRef.current(c));
  }, []);

  useEffect(() => {
    Promise.all([
      loadPage(null),
      api.favorites().then((f) => setFavorites(new Set(f.favorites.map((x) => Number(x.task_id))))),
    ])
      .catch((err: unknown) => setError(errorMessage(err)))
      .finally(() => setLoaded(true));
  }, [loadPage]);

  // In the favorites view, fetch favorites that are not on a loaded page.
  useEffect(() => {
    if (!onlyFavorites) return;
    const known = new Set(listRef.current.map((c) => c.id));
    const missing = [...favorites].filter((id) => !known.has(id)).slice(0, 48);
    if (missing.length === 0) return;
    void Promise.all(missing.map((id) => api.task(id).catch(() => null))).then((found) =>
      setExtras((list) => found.reduce<Creation[]>((acc, c) => (c ? upsert(acc, c) : acc), list)),
    );
  }, [onlyFavorites, favorites]);

  const toggleFavorite = async (c: Creation) => {
    const was = favorites.has(c.id);
    const flip = (on: boolean) =>
      setFavorites((s) => {
        const next = new Set(s);
        if (on) next.add(c.id);
        else next.delete(c.id);
        return next;
      });
    flip(!was);
    try {
      if (was) await api.removeFavorite(c.id);
      else await api.addFavorite(c.id);
    } catch (err) {
      // Already in the wanted state on the server: keep it.
      if (err instanceof ApiError && (err.status === 409 || (was && err.status === 404))) return;
      flip(was);
      setError(`Could not update favorites. ${errorMessage(err)}`);
    }
  };

  const loadMore = async () => {
    if (nextBefore === null || loadingMore) return;
    setLoadingMore(true);
    try {
      await loadPage(nextBefore);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoadingMore(false);
    }
  };

  const visible = onlyFavorites
    ? [...creations, ...extras.filter((x) => !creations.some((c) => c.id === x.id))]
        .filter((c) => favorites.has(c.id))
        .sort(byNewest)
    : creations;

  return (
    <>
      <div class="page-head">
        <h1>My videos</h1>
        <div class="filter" role="group" aria-label="Show">
          <button type="button" class="btn btn-small" aria-pressed={!onlyFavorites} onClick={() => setOnlyFavorites(false)} data-testid="filter-all">
            All
          </button>
          <button type="button" class="btn btn-small" aria-pressed={onlyFavorites} onClick={() => setOnlyFavorites(true)} data-testid="filter-favorites">
            Favorites
          </button>
        </div>
      </div>
      {error && (
        <p class="notice notice-error" role="alert">
          {error}
        </p>
      )}
      {!loaded && <p class="muted" role="status">Loading your videos…</p>}
      {loaded && visible.length === 0 && (
        <p class="muted" data-testid="empty">
          {onlyFavorites ? (
            'No favorites yet. Press the star on a video to keep it here.'
          ) : (
            <>
              You have not made any videos yet. <Link href="/create">Create your first one</Link>.
            </>
          )}
        </p>
      )}
      <ul class="grid" role="list" aria-label={onlyFavorites ? 'Favorite videos' : 'All my videos'}>
        {visible.map((c) => (
          <CreationCard key={c.id} creation={c} favorite={favorites.has(c.id)} onToggleFavorite={toggleFavorite} />
        ))}
      </ul>
      {!onlyFavorites && nextBefore !== null && (
        <p class="load-more">
          <button type="button" class="btn" onClick={() => void loadMore()} disabled={loadingMore} data-testid="load-more">
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </p>
      )}
    </>
  );
}
