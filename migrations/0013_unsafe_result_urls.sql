-- Result and thumbnail URLs used to be stored whatever their scheme: a provider callback, or a user on the REST API
-- before 0011, could put `javascript:` or `data:` into the public feed, which the web app renders as links and players.
-- New URLs are checked (https only; http for the development simulator). Old ones that are neither an http(s) URL nor
-- our own media path are cleared: such a URL never was a playable video, and a task without a result URL leaves the feed.
UPDATE video_generation_task_statuses
   SET result_url = CASE WHEN result_url ~* '^(https?://|/media/)' THEN result_url END,
       thumbnail_url = CASE WHEN thumbnail_url ~* '^(https?://|/media/)' THEN thumbnail_url END,
       provider_result_url = CASE WHEN provider_result_url ~* '^https?://' THEN provider_result_url END,
       provider_thumbnail_url = CASE WHEN provider_thumbnail_url ~* '^https?://' THEN provider_thumbnail_url END
 WHERE result_url !~* '^(https?://|/media/)'
    OR thumbnail_url !~* '^(https?://|/media/)'
    OR provider_result_url !~* '^https?://'
    OR provider_thumbnail_url !~* '^https?://';
