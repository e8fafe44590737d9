-- What a run's derived statistics recomputes did (internal/stats).
SELECT recomputes, full_recompute, school_rows, national_rows, question_rows, national_question_rows,
       duration_ms, refresh_ms
FROM knacksync.run_statistics
WHERE run_id = @run_id;
