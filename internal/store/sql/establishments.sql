-- object_2 → establishments. Every record is mirrored (rule 10). Rows are
-- never deleted: students reference them (ON DELETE CASCADE) and history
-- must survive; a school deleted in Knack keeps its row.

-- name: stage
CREATE TEMP TABLE stg_establishments (
    knack_id text NOT NULL,
    name text NOT NULL,
    status text NOT NULL,
    portal_type text NOT NULL,
    is_australian boolean NOT NULL,
    use_standard_year boolean
) ON COMMIT DROP;

-- name: dependents
-- A changed academic-year rule or name changes what other records produce:
-- project their records again from the mirror.
WITH changed AS (
    SELECT s.knack_id, e.id,
           (e.is_australian, e.use_standard_year) IS DISTINCT FROM (s.is_australian, s.use_standard_year) AS year_rule
    FROM stg_establishments s JOIN public.establishments e ON e.knack_id = s.knack_id
    WHERE (e.is_australian, e.use_standard_year, e.name) IS DISTINCT FROM (s.is_australian, s.use_standard_year, s.name)
), results AS (
    UPDATE knacksync.records r SET projected_hash = NULL
    FROM changed c
    WHERE c.year_rule AND r.object = @results_object AND r.projected_hash IS NOT NULL
      AND r.data -> (@results_establishment_field || '_raw') @> jsonb_build_array(jsonb_build_object('id', c.knack_id))
), answers AS (
    UPDATE knacksync.records r SET projected_hash = NULL
    FROM changed c
    JOIN public.students s ON s.establishment_id = c.id
    JOIN knacksync.claims cl ON cl.object = @questionnaires_object AND split_part(cl.claim, '|', 2) = s.id::text
    WHERE c.year_rule AND r.object = cl.object AND r.record_id = cl.record_id AND r.projected_hash IS NOT NULL
)
UPDATE knacksync.records r SET projected_hash = NULL
FROM changed c
WHERE r.object = @profiles_object AND r.projected_hash IS NOT NULL
  AND r.data -> (@profiles_establishment_field || '_raw') @> jsonb_build_array(jsonb_build_object('id', c.knack_id));

-- name: dependents
-- A school seen for the first time is what records reported with an
-- unknown establishment were waiting for.
UPDATE knacksync.records r SET projected_hash = NULL
FROM knacksync.data_issues d
WHERE d.rule = 'unknown_establishment' AND r.object = d.object AND r.record_id = d.record_id
  AND r.projected_hash IS NOT NULL
  AND EXISTS (SELECT 1 FROM stg_establishments s
              WHERE s.knack_id = ANY (string_to_array(d.value, ','))
                AND NOT EXISTS (SELECT 1 FROM public.establishments e WHERE e.knack_id = s.knack_id));

-- name: establishments
WITH w AS (
    INSERT INTO public.establishments AS t (knack_id, name, status, portal_type, is_australian, use_standard_year)
    SELECT knack_id, name, nullif(status, ''), nullif(portal_type, ''), is_australian, use_standard_year
    FROM stg_establishments
    ON CONFLICT (knack_id) DO UPDATE SET
        name = excluded.name, status = excluded.status, portal_type = excluded.portal_type,
        is_australian = excluded.is_australian, use_standard_year = excluded.use_standard_year, updated_at = now()
    WHERE (t.name, t.status, t.portal_type, t.is_australian, t.use_standard_year)
          IS DISTINCT FROM
          (excluded.name, excluded.status, excluded.portal_type, excluded.is_australian, excluded.use_standard_year)
    RETURNING (xmax = 0) AS inserted
)
SELECT 'establishments' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted), 0,
       (SELECT count(*) FROM stg_establishments) - count(*), 0
FROM w;
