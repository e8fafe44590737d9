-- The Knack request ledger and the day's quota budget (quota.go).

-- name: count
-- Adds requests made to the day's ledger.
INSERT INTO knacksync.knack_requests AS k (day, object, purpose, requests)
VALUES (@day, @object, @purpose, @n)
ON CONFLICT (day, object, purpose) DO UPDATE SET requests = k.requests + excluded.requests;

-- name: plan
-- Records the plan quota a response reported and the budget computed from
-- it. Responses arrive out of order: the lowest remaining of the day wins.
-- NULL arguments keep what is there.
INSERT INTO knacksync.knack_quota AS q (day, plan_limit, remaining, seen_at, reserve, sweep_need, hint_budget)
VALUES (@day, @plan_limit, @remaining, @seen_at, @reserve, @sweep_need, @hint_budget)
ON CONFLICT (day) DO UPDATE SET
    plan_limit  = coalesce(excluded.plan_limit, q.plan_limit),
    remaining   = CASE WHEN excluded.remaining IS NULL THEN q.remaining
                       WHEN q.remaining IS NULL THEN excluded.remaining
                       ELSE least(q.remaining, excluded.remaining) END,
    seen_at     = greatest(q.seen_at, excluded.seen_at),
    reserve     = coalesce(excluded.reserve, q.reserve),
    sweep_need  = coalesce(excluded.sweep_need, q.sweep_need),
    hint_budget = coalesce(excluded.hint_budget, q.hint_budget);

-- name: day
-- One day's spending and quota. The plan limit falls back on the newest day
-- that saw one: a new day starts before its first response.
SELECT coalesce((SELECT sum(requests) FROM knacksync.knack_requests WHERE day = @day), 0)::bigint,
       coalesce((SELECT sum(requests) FROM knacksync.knack_requests WHERE day = @day AND purpose = 'hints'), 0)::bigint,
       coalesce(q.plan_limit, (SELECT plan_limit FROM knacksync.knack_quota
                               WHERE plan_limit IS NOT NULL ORDER BY day DESC LIMIT 1), -1)::bigint,
       coalesce(q.remaining, -1)::bigint,
       q.seen_at,
       coalesce(q.reserve, -1)::bigint,
       coalesce(q.sweep_need, -1)::bigint,
       coalesce(q.hint_budget, -1)::bigint,
       q.hints_stopped_at
FROM (SELECT 1) one
LEFT JOIN knacksync.knack_quota q ON q.day = @day;

-- name: hints_stopped
-- Marks the day's hints as stopped; a row comes back only for the first
-- caller of the day (one warning, however many instances).
INSERT INTO knacksync.knack_quota AS q (day, hints_stopped_at)
VALUES (@day, @now)
ON CONFLICT (day) DO UPDATE SET hints_stopped_at = excluded.hints_stopped_at
    WHERE q.hints_stopped_at IS NULL
RETURNING day;

-- name: sweep_pages
-- The pages a full sweep of objects lists, from the mirror's live records:
-- 1,000 a page, and one request for an empty object.
SELECT coalesce(sum(greatest(1, ceil(coalesce(live.n, 0) / 1000.0))), 0)::bigint
FROM unnest(@objects::text[]) AS o(object)
LEFT JOIN (
    SELECT object, count(*) AS n FROM knacksync.records WHERE deleted_at IS NULL GROUP BY object
) live ON live.object = o.object;
