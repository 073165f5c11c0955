-- Counters behind the per-route request limits (@fastify/rate-limit: generation, sign-in, signup, refresh…), kept
-- here so every instance counts into the same window: an in-memory store lets N instances allow N times the limit.
-- One row per route and caller, counting hits in a fixed window that starts with its first hit.
-- UNLOGGED: a hit writes no WAL, so counting costs little on the hot generation path; a crash of PostgreSQL (or a
-- failover to a replica) empties the table, which only forgives the current minute's counts.
-- No index but the key: updating `hits` then stays a HOT update. The rare purge of old rows scans the table.
-- Written by our server as the connection's own role, as auth_attempt_limits is; no API role may read or reset it.
CREATE UNLOGGED TABLE rate_limit_counters (
    key text PRIMARY KEY,
    hits integer NOT NULL,
    window_ends_at timestamptz NOT NULL
);

ALTER TABLE rate_limit_counters ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON rate_limit_counters FROM PUBLIC, anon, authenticated, service_role;
