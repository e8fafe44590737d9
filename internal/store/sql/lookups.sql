-- name: establishments
SELECT knack_id, name, coalesce(is_australian, false), use_standard_year FROM public.establishments;

-- name: accounts
SELECT record_id, email FROM knacksync.accounts WHERE record_id = ANY(@ids);
