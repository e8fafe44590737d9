-- name: stale
-- Tables written enough since their last ANALYZE that the planner's
-- estimates are off (the threshold autovacuum uses by default: 50 rows plus
-- 10% of the table). A first sweep fills empty tables page by page; until
-- autovacuum catches up (or where it is off), later pages and the next
-- sweep are planned for empty tables.
SELECT format('%I.%I', schemaname, relname)
FROM pg_stat_user_tables
WHERE schemaname IN ('public', 'knacksync')
  AND n_mod_since_analyze > 50 + 0.1 * greatest(n_live_tup, 0)
ORDER BY schemaname, relname;
