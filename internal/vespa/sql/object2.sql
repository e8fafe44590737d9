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
-- A school that is new, renamed or given another academic-year rule changes
-- what other records produce (rule 15): the records that read it (results,
-- profiles, staff: found through their refs) and, for a new year rule, the
-- answers of its students are projected again in this pass.
WITH changed AS (
    SELECT s.knack_id, e.id,
           e.id IS NOT NULL AND (e.is_australian, e.use_standard_year)
               IS DISTINCT FROM (s.is_australian, s.use_standard_year) AS year_rule
    FROM stg_establishments s LEFT JOIN public.establishments e ON e.knack_id = s.knack_id
    WHERE e.id IS NULL
       OR (e.is_australian, e.use_standard_year, e.name) IS DISTINCT FROM (s.is_australian, s.use_standard_year, s.name)
), readers AS (
    UPDATE knacksync.records r SET projected_hash = NULL
    FROM knacksync.record_refs f
    JOIN changed c ON f.ref_id = c.knack_id
    WHERE f.ref_object = @object AND r.object = f.object AND r.record_id = f.record_id
      AND r.projected_hash IS NOT NULL
)
UPDATE knacksync.records r SET projected_hash = NULL
FROM changed c
JOIN public.students s ON s.establishment_id = c.id
JOIN knacksync.claims cl ON cl.object = @questionnaires_object AND split_part(cl.claim, '|', 2) = s.id::text
WHERE c.year_rule AND r.object = cl.object AND r.record_id = cl.record_id AND r.projected_hash IS NOT NULL;

-- name: dependents
-- Records reported with an unknown establishment that is seen now (those
-- whose refs were written before this table existed, or that name a school
-- only in text).
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
