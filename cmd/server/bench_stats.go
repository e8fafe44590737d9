package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
)

// benchStats measures the derived statistics at a scale: a full recompute
// into empty tables, a full recompute with nothing changed (it must write
// 0 rows), the incremental recompute after one student's scores or answers
// changed, and the time from a change in Knack to the statistics row, with
// the whole service (webhook, River, hint pass) running in process.
func benchStats(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("bench stats", e)
	scaleName := fs.String("scale", string(vespagen.Vespa), "generated data size: tiny, small, vespa or vespa2x")
	changes := fs.Int("changes", 20, "students changed, for the incremental and the hint → statistics figures")
	latency := fs.Duration("latency", 100*time.Millisecond, "simulated Knack latency during the hint → statistics part")
	keep := fs.Bool("keep", false, "keep the bench database afterwards")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, _, err := loadConfig(e)
	if err != nil {
		return err
	}
	logger := slog.New(slog.DiscardHandler)
	scale, err := vespagen.ParseScale(*scaleName)
	if err != nil {
		return err
	}
	sim, pool, name, closeBackend, err := benchBackend(ctx, e, &cfg, logger, scale, knacksim.Options{RatePerSecond: 10}, *keep)
	if err != nil {
		return err
	}
	defer closeBackend()

	st := store.New(pool)
	kn, err := newKnackClient(cfg, logger, st, nil)
	if err != nil {
		return err
	}
	sts := newStats(cfg, logger, pool)
	fmt.Fprintf(e.stdout, "bench stats: scale %s, database %s\n", scale, name)
	start := time.Now()
	run, err := syncer.New(st, kn, logger, time.Now, syncer.Config{Stats: sts}).Sweep(ctx, syncer.SweepOptions{})
	if err != nil {
		return fmt.Errorf("initial sweep: %w", err)
	}
	var base struct{ vespa, answers, students int64 }
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM vespa_scores), (SELECT count(*) FROM question_responses), (SELECT count(*) FROM students)`).
		Scan(&base.vespa, &base.answers, &base.students); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "  base rows               %d students, %d vespa_scores, %d question_responses\n", base.students, base.vespa, base.answers)
	if rs, err := sts.ForRuns(ctx, []int64{run.ID}); err == nil {
		r := rs[run.ID]
		fmt.Fprintf(e.stdout, "  first sweep             %s, of which statistics %s in %d recomputes (pages with more than 2,000 dirty keys leave them to the full one at the end)\n",
			time.Since(start).Round(10*time.Millisecond), r.Duration.Round(time.Millisecond), r.Recomputes)
	}

	// Full recompute into empty tables, then one with nothing changed.
	if _, err := pool.Exec(ctx, `TRUNCATE school_statistics, national_statistics, question_statistics, national_question_statistics`); err != nil {
		return err
	}
	full, err := sts.RecomputeAll(ctx, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "  full recompute          %s, %d rows written (target ≤ 10 s); comparative_metrics refresh %s\n",
		full.Duration.Round(time.Millisecond), full.Written(), full.Refresh.Round(time.Millisecond))
	again, err := sts.RecomputeAll(ctx, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "  no-change recompute     %s, %d rows written (must be 0)\n", again.Duration.Round(time.Millisecond), again.Written())

	// One student at a time: the hint pass writes its rows (marking their
	// keys), then the dirty keys alone are recomputed and timed.
	students, err := benchStudents(ctx, pool, *changes*2)
	if err != nil {
		return err
	}
	plain := syncer.New(st, kn, logger, time.Now, syncer.Config{})
	client := knack.New(knack.Config{BaseURL: sim.URL(), AppID: sim.AppID(), APIKey: sim.APIKey(), RateLimit: 10})
	var oneScore []time.Duration
	var rowsPerChange []int64
	for i, s := range students[:*changes] {
		if _, err := client.Update(ctx, "object_10", s.knackID, map[string]any{"field_155": s.vision%10 + 1}); err != nil {
			return err
		}
		if err := hintOne(ctx, st, plain, "object_10", s.knackID); err != nil {
			return fmt.Errorf("change %d: %w", i, err)
		}
		res, err := sts.RecomputeDirty(ctx, 0, true)
		if err != nil {
			return err
		}
		oneScore = append(oneScore, res.Duration)
		rowsPerChange = append(rowsPerChange, res.Written())
	}
	fmt.Fprintf(e.stdout, "  one student's scores    p50 %s  max %s (%d changes; %d-%d rows written each; target ≤ 200 ms)\n",
		pct(oneScore, 50), pct(oneScore, 100), *changes, slices.Min(rowsPerChange), slices.Max(rowsPerChange))
	answers, err := benchAnswers(ctx, pool, *changes)
	if err != nil {
		return err
	}
	var oneAnswers []time.Duration
	for _, id := range answers {
		if _, err := client.Update(ctx, "object_29", id, map[string]any{"field_1953": 1 + len(oneAnswers)%5, "field_1954": 5 - len(oneAnswers)%5}); err != nil {
			return err
		}
		if err := hintOne(ctx, st, plain, "object_29", id); err != nil {
			return err
		}
		res, err := sts.RecomputeDirty(ctx, 0, true)
		if err != nil {
			return err
		}
		oneAnswers = append(oneAnswers, res.Duration)
	}
	if len(oneAnswers) > 0 {
		fmt.Fprintf(e.stdout, "  one student's answers   p50 %s  max %s (%d questionnaires, 2 answers each)\n",
			pct(oneAnswers, 50), pct(oneAnswers, 100), len(oneAnswers))
	}

	// Hint → statistics row, through the running service.
	srvBase, stop, _, err := serveInProcess(ctx, e, cfg, logger, pool)
	if err != nil {
		return err
	}
	defer stop()
	sim.SetHook(srvBase+"/webhooks/knack", cfg.WebhookSecret)
	sim.SetLatency(*latency, 0)
	var visible []time.Duration
	for i, s := range students[*changes:] {
		var before string
		if err := pool.QueryRow(ctx, benchStatsRow, s.school, s.year).Scan(&before); err != nil {
			return fmt.Errorf("statistics row of change %d: %w", i, err)
		}
		t0 := time.Now()
		if _, err := client.Update(ctx, "object_10", s.knackID, map[string]any{"field_155": s.vision%10 + 1}); err != nil {
			return err
		}
		for {
			var now string
			if err := pool.QueryRow(ctx, benchStatsRow, s.school, s.year).Scan(&now); err != nil {
				return err
			}
			if now != before {
				break
			}
			if time.Since(t0) > time.Minute {
				return fmt.Errorf("change %d never reached school_statistics", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
		visible = append(visible, time.Since(t0))
	}
	fmt.Fprintf(e.stdout, "  hint → statistics row   p50 %s  p99 %s  max %s (%d changes, Knack latency %s; target p99 < 3 s)\n",
		pct(visible, 50), pct(visible, 99), pct(visible, 100), len(visible), *latency)
	return nil
}

// benchStatsRow is the cycle 1 vision distribution of a school and year:
// changing one student's cycle 1 vision always changes it.
const benchStatsRow = `SELECT coalesce((SELECT distribution::text FROM school_statistics
	WHERE establishment_id = $1 AND academic_year = $2 AND cycle = 1 AND element = 'vision'), '')`

type benchStudent struct {
	knackID, school, year string
	vision                int
}

// benchStudents picks students of the current year (a sync never changes
// past years) with a cycle 1 vision score, one per object_10 record.
func benchStudents(ctx context.Context, pool *pgxpool.Pool, n int) ([]benchStudent, error) {
	rows, err := pool.Query(ctx, `
		SELECT s.knack_id, s.establishment_id::text, v.academic_year, v.vision
		FROM vespa_scores v JOIN students s ON s.id = v.student_id
		JOIN establishments e ON e.id = s.establishment_id
		WHERE v.cycle = 1 AND v.vision IS NOT NULL AND NOT coalesce(e.is_australian, false)
		  AND v.academic_year = (SELECT max(academic_year) FROM vespa_scores)
		  AND (SELECT count(*) FROM students o WHERE o.knack_id = s.knack_id) = 1
		ORDER BY md5(s.id::text) LIMIT $1`, n)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (benchStudent, error) {
		var b benchStudent
		err := r.Scan(&b.knackID, &b.school, &b.year, &b.vision)
		return b, err
	})
	if err == nil && len(out) < n {
		err = fmt.Errorf("bench stats: %d students with scores, want %d", len(out), n)
	}
	return out, err
}

// benchAnswers picks questionnaire records of current-year students with
// answers (many generated ones are deliberately unlinked).
func benchAnswers(ctx context.Context, pool *pgxpool.Pool, n int) ([]string, error) {
	rows, err := pool.Query(ctx, `
		SELECT r.record_id FROM knacksync.records r
		JOIN students s ON lower(s.email) = lower(r.data->'field_2732_raw'->>'email')
		WHERE r.object = 'object_29' AND r.deleted_at IS NULL
		  AND s.academic_year = (SELECT max(academic_year) FROM vespa_scores)
		  AND EXISTS (SELECT 1 FROM question_responses q WHERE q.student_id = s.id)
		ORDER BY md5(r.record_id) LIMIT $1`, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// hintOne records an update hint and runs the object's hint pass.
func hintOne(ctx context.Context, st *store.Store, sy *syncer.Syncer, object, id string) error {
	if err := st.InTx(ctx, func(tx pgx.Tx) error {
		return st.RecordHints(ctx, tx, []store.Hint{{Object: object, RecordID: id, Event: "update"}}, time.Now())
	}); err != nil {
		return err
	}
	_, err := sy.ProcessHints(ctx, object)
	return err
}
