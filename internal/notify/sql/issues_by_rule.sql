-- Data issues open now, by rule, and how many of them were first seen since
-- the run started. Only counts leave the database: an issue's value may be
-- a student's e-mail.
SELECT rule,
       count(*)::int AS open,
       (count(*) FILTER (WHERE first_seen_at >= @since))::int AS fresh
FROM knacksync.data_issues
GROUP BY rule
ORDER BY rule;
