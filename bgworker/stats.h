/*
 * stats.h
 *	  What the engine workers publish in shared memory, read back as rows
 *	  (the set-returning functions behind pathway.views, pathway.stats,
 *	  pathway.epochs, pathway.sources and pathway.sinks), and the request to
 *	  reset the counters.
 */
#ifndef PATHWAY_STATS_H
#define PATHWAY_STATS_H

#include "postgres.h"

#include "fmgr.h"

extern Datum pathway_view_state(PG_FUNCTION_ARGS);
extern Datum pathway_op_state(PG_FUNCTION_ARGS);
extern Datum pathway_epoch_state(PG_FUNCTION_ARGS);
extern Datum pathway_source_state(PG_FUNCTION_ARGS);
extern Datum pathway_sink_state(PG_FUNCTION_ARGS);

/* Ask this database's worker to zero its counters (at its next epoch). */
extern void stats_request_reset(void);

/*
 * The listener's GET /metrics: every database's figures in Prometheus'
 * text format (pathway.metrics()'s names and labels, from shared memory
 * alone), written to fd as a whole answer.
 */
extern void stats_metrics_answer(int fd);

#endif							/* PATHWAY_STATS_H */
