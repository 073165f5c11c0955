-- Where auth.users is our emulation (we own it), it gets the columns of Supabase Auth's own table that a complete
-- account row fills, and Supabase's auth.identities: our signup then writes the same rows on every database, and
-- such an account can later be taken over by Supabase Auth. On Supabase the real tables are left alone.
do $$ begin
  if (select pg_get_userbyid(relowner) from pg_class where oid = 'auth.users'::regclass) = current_user then
    alter table auth.users
      alter column id drop default,
      add column if not exists instance_id uuid,
      add column if not exists aud varchar(255),
      add column if not exists role varchar(255),
      add column if not exists email_confirmed_at timestamptz,
      add column if not exists confirmation_token varchar(255),
      add column if not exists recovery_token varchar(255),
      add column if not exists email_change_token_new varchar(255),
      add column if not exists email_change varchar(255),
      add column if not exists last_sign_in_at timestamptz,
      add column if not exists raw_app_meta_data jsonb,
      add column if not exists raw_user_meta_data jsonb,
      add column if not exists is_sso_user boolean not null default false,
      add column if not exists is_anonymous boolean not null default false;
    if to_regclass('auth.identities') is null then
      create table auth.identities (
        id uuid primary key default gen_random_uuid(),
        provider_id text not null,
        user_id uuid not null references auth.users(id) on delete cascade,
        identity_data jsonb not null,
        provider text not null,
        last_sign_in_at timestamptz,
        created_at timestamptz,
        updated_at timestamptz,
        unique (provider_id, provider)
      );
    end if;
  end if;
end $$;
