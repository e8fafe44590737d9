-- Knack's daily quota is shared with the live app (every questionnaire
-- submission spends calls): the service counts what it spends and keeps a
-- budget (docs/quota.md).

-- +goose Up
-- Every Knack request the service made, counted once where it was made (the
-- client's meter), failed ones included, per UTC day (Knack resets its
-- quota at 00:00 UTC), object ('' for app-level calls) and purpose (sweep,
-- hints, poll, '' for the rest).
CREATE TABLE knacksync.knack_requests (
    day date NOT NULL,
    object text NOT NULL,
    purpose text NOT NULL,
    requests bigint NOT NULL,
    PRIMARY KEY (day, object, purpose)
);

-- One UTC day of the plan quota as Knack reported it, and the budget the
-- service computed from it.
CREATE TABLE knacksync.knack_quota (
    day date PRIMARY KEY,
    -- X-PlanLimit-Limit, and the lowest X-PlanLimit-Remaining seen that day;
    -- NULL until a response carried them.
    plan_limit bigint,
    remaining bigint,
    seen_at timestamptz,
    -- The budget as last computed: the requests left untouched for the live
    -- app, a sweep's estimated cost, and the hints' share of the day.
    reserve bigint,
    sweep_need bigint,
    hint_budget bigint,
    -- When hint passes first stopped that day for want of budget: the hints
    -- wait for the nightly sweep.
    hints_stopped_at timestamptz
);

-- +goose Down
DROP TABLE knacksync.knack_quota, knacksync.knack_requests;
