-- A small emulation of Supabase's `auth` schema and API roles, so the contract's policies mean what they say.
-- Everything is created only where missing, and only what the connecting role may create: on a Supabase database
-- (where `postgres` is no superuser and may create nothing in `auth`) this migration changes nothing.

-- Roles are cluster-wide, and two databases may be migrated at once: tolerate a concurrent creation. Creating them
-- needs CREATEROLE; BYPASSRLS needs a superuser, so without one service_role gets policies of its own instead.
do $$
declare
  r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select 1 from pg_roles where rolname = r) then
      begin
        execute format('create role %I nologin noinherit', r)
          || case when r = 'service_role' and (select rolsuper from pg_roles where rolname = current_user) then ' bypassrls' else '' end;
      exception
        when duplicate_object or unique_violation then null;
        when insufficient_privilege then
          raise exception 'role % does not exist and % may not create it', r, current_user
            using hint = 'create the roles anon, authenticated and service_role (nologin) as a superuser, grant them to ' || current_user || ', and migrate again';
      end;
    end if;
  end loop;
end $$;

-- The application's login switches into these roles per transaction (Supabase's `authenticator` does the same),
-- so it must be a member of each. Supabase grants that already; elsewhere the creator of the roles may grant it.
do $$
declare
  r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role'] loop
    if not pg_has_role(current_user, r, 'MEMBER') then
      begin
        execute format('grant %I to %I', r, current_user);
      exception when insufficient_privilege or invalid_grant_operation then
        raise exception '% is not a member of role % and may not grant it', current_user, r
          using hint = 'as a superuser or the role''s admin, run: grant ' || r || ' to ' || current_user;
      end;
    end if;
  end loop;
end $$;

do $$ begin
  if to_regnamespace('auth') is null then
    create schema auth;
  end if;
  if to_regclass('auth.users') is null then
    create table auth.users (
      id uuid primary key default gen_random_uuid(),
      email varchar(255) unique,
      encrypted_password varchar(255),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
  end if;
end $$;

-- Supabase's definitions: the claims come from the transaction's `request.jwt.claims` setting.
do $$ begin
  if not exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'auth' and p.proname = 'jwt') then
    create function auth.jwt() returns jsonb language sql stable as $f$
      select coalesce(nullif(current_setting('request.jwt.claim', true), ''), nullif(current_setting('request.jwt.claims', true), ''))::jsonb
    $f$;
  end if;
  if not exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'auth' and p.proname = 'uid') then
    create function auth.uid() returns uuid language sql stable as $f$
      select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
    $f$;
  end if;
  if not exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'auth' and p.proname = 'role') then
    create function auth.role() returns text language sql stable as $f$
      select coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text
    $f$;
  end if;
end $$;

-- The API roles reach the auth helpers the policies call, as on Supabase; granted only where missing.
do $$ begin
  if not has_schema_privilege('anon', 'auth', 'USAGE') or not has_schema_privilege('authenticated', 'auth', 'USAGE')
     or not has_schema_privilege('service_role', 'auth', 'USAGE') then
    grant usage on schema auth to anon, authenticated, service_role;
  end if;
  if not has_schema_privilege('anon', 'public', 'USAGE') or not has_schema_privilege('authenticated', 'public', 'USAGE')
     or not has_schema_privilege('service_role', 'public', 'USAGE') then
    grant usage on schema public to anon, authenticated, service_role;
  end if;
end $$;
