-- name: reserve
-- Reserve the next request slot of a shared budget and say how long to
-- wait for it. The database's clock is the one clock every process shares.
INSERT INTO knacksync.rate_slots AS r (name, next_at)
VALUES (@name, clock_timestamp() + (@seconds::float8 * interval '1 second'))
ON CONFLICT (name) DO UPDATE
    SET next_at = greatest(r.next_at, clock_timestamp()) + (@seconds::float8 * interval '1 second')
RETURNING greatest(extract(epoch FROM (next_at - (@seconds::float8 * interval '1 second') - clock_timestamp())), 0)::float8;
