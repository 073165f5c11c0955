-- Counters behind the per-account sign-in limit and the per-address signup limit. They live in the database so
-- they hold across instances and restarts: an in-memory counter is reset by every deploy and multiplied by every
-- instance behind a load balancer. One row per (bucket, subject), counting hits in a fixed window.
-- Written by our server as the connection's own role, as it writes auth.users; no API role may read or reset them.
CREATE TABLE auth_attempt_limits (
    bucket text NOT NULL,
    subject text NOT NULL,
    window_started_at timestamptz NOT NULL,
    hits integer NOT NULL,
    PRIMARY KEY (bucket, subject)
);
CREATE INDEX auth_attempt_limits_window_idx ON auth_attempt_limits (window_started_at);

ALTER TABLE auth_attempt_limits ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON auth_attempt_limits FROM PUBLIC, anon, authenticated, service_role;
