/*
 * vector.h
 *	  Distance kernels over float4 vectors, shared by the SQL functions
 *	  and the engine (vector.c), and by bench/knn's brute-force program.
 *
 * The loops keep 16 partial sums, one per lane, so that the compiler
 * vectorizes them at the build's own instruction set (no -march flag) while
 * the order of the additions, and so every result's bits, stay the same
 * wherever the kernel runs: a live view and a plain query give equal
 * distances, so ties and ORDER BY agree.
 */
#ifndef PATHWAY_VECTOR_H
#define PATHWAY_VECTOR_H

#include <math.h>

#define VECTOR_LANES 16

/* Sum of the lanes, then of the tail, in one fixed order. */
static inline double
vector_finish(const float *acc, double tail)
{
	double		s = 0.0;
	int			j;

	for (j = 0; j < VECTOR_LANES; j++)
		s += acc[j];
	return s + tail;
}

static inline double
vector_l2_squared(const float *a, const float *b, int n)
{
	float		acc[VECTOR_LANES] = {0};
	double		tail = 0.0;
	int			i = 0,
				j;

	for (; i + VECTOR_LANES <= n; i += VECTOR_LANES)
		for (j = 0; j < VECTOR_LANES; j++)
		{
			float		d = a[i + j] - b[i + j];

			acc[j] += d * d;
		}
	for (; i < n; i++)
	{
		double		d = (double) a[i] - (double) b[i];

		tail += d * d;
	}
	return vector_finish(acc, tail);
}

/*
 * A sketch of a vector: the sums of VECTOR_SKETCH consecutive runs of its
 * dimensions, each divided by the square root of its run's length.  By
 * Cauchy-Schwarz, sum over a run of m dimensions of (a_i - b_i)^2 >=
 * (A - B)^2 / m for the runs' sums A and B, so the squared differences of
 * two sketches add up to a lower bound of the squared l2 distance, in
 * VECTOR_SKETCH steps.  Computed in double; the kernels sum in float, each
 * lane's n / 16 terms within a relative (n / 16 + 3) * 2^-24 of the exact
 * sum, so a bound is only trusted past a relative 1e-4 + n * 1e-8, more
 * than twice that (vector_sketch_above).
 */
#define VECTOR_SKETCH 32

static inline void
vector_sketch(const float *a, int n, double *sk)
{
	int			c,
				i;

	for (c = 0; c < VECTOR_SKETCH; c++)
	{
		int			lo = (int) ((long long) c * n / VECTOR_SKETCH),
					hi = (int) ((long long) (c + 1) * n / VECTOR_SKETCH);
		double		sum = 0.0;

		for (i = lo; i < hi; i++)
			sum += a[i];
		sk[c] = hi > lo ? sum / sqrt((double) (hi - lo)) : 0.0;
	}
}

/* Is the squared distance certainly above limit, by the sketches of two n-vectors? */
static inline bool
vector_sketch_above(const double *sa, const double *sb, int n, double limit)
{
	double		lb = 0.0;
	int			c;

	for (c = 0; c < VECTOR_SKETCH; c++)
	{
		double		d = sa[c] - sb[c];

		lb += d * d;
	}
	return lb > limit * (1.0 + 1e-4 + n * 1e-8);
}

/*
 * Is the squared l2 distance above 'limit'?  The partial sums are checked
 * every 64 dimensions, so a far vector is given up early.  The lanes
 * accumulate in the same order as vector_l2_squared, and every term is
 * non-negative, so a partial sum never exceeds the full one: the answer is
 * exact.
 */
static inline bool
vector_l2_squared_above(const float *a, const float *b, int n, double limit)
{
	float		acc[VECTOR_LANES] = {0};
	double		tail = 0.0;
	int			i = 0,
				j;

	while (i + VECTOR_LANES <= n)
	{
		int			stop = i + 4 * VECTOR_LANES;

		for (; i + VECTOR_LANES <= n && i < stop; i += VECTOR_LANES)
			for (j = 0; j < VECTOR_LANES; j++)
			{
				float		d = a[i + j] - b[i + j];

				acc[j] += d * d;
			}
		if (vector_finish(acc, 0.0) > limit)
			return true;
	}
	for (; i < n; i++)
	{
		double		d = (double) a[i] - (double) b[i];

		tail += d * d;
	}
	return vector_finish(acc, tail) > limit;
}

static inline double
vector_dot(const float *a, const float *b, int n)
{
	float		acc[VECTOR_LANES] = {0};
	double		tail = 0.0;
	int			i = 0,
				j;

	for (; i + VECTOR_LANES <= n; i += VECTOR_LANES)
		for (j = 0; j < VECTOR_LANES; j++)
			acc[j] += a[i + j] * b[i + j];
	for (; i < n; i++)
		tail += (double) a[i] * (double) b[i];
	return vector_finish(acc, tail);
}

static inline double
vector_l2_distance(const float *a, const float *b, int n)
{
	return sqrt(vector_l2_squared(a, b, n));
}

/* 1 - cos(a, b); NaN when either vector is all zeros. */
static inline double
vector_cosine_distance(const float *a, const float *b, int n)
{
	double		dot = vector_dot(a, b, n);
	double		na = vector_dot(a, a, n);
	double		nb = vector_dot(b, b, n);
	double		sim;

	if (na == 0.0 || nb == 0.0)
		return NAN;
	sim = dot / (sqrt(na) * sqrt(nb));
	/* rounding can take it just outside [-1, 1] */
	if (sim > 1.0)
		sim = 1.0;
	else if (sim < -1.0)
		sim = -1.0;
	return 1.0 - sim;
}

/* The distance functions the engine computes directly (vector.c). */
typedef enum VectorKind
{
	VECTOR_NONE,
	VECTOR_L2,
	VECTOR_COSINE,
	VECTOR_DOT
} VectorKind;

#ifdef PG_FUNCTION_ARGS
extern VectorKind op_vector_kind(PGFunction fn);
extern bool op_vector_distance(VectorKind kind, Datum a, bool anull, Datum b, bool bnull,
							   double *dist, bool *isnull);
extern bool op_vector_l2_above(Datum a, bool anull, Datum b, bool bnull, double dist);
extern double op_vector_norm(Datum a, bool anull);
extern const float *op_vector_floats(Datum a, bool anull, int *n);
#endif

#endif							/* PATHWAY_VECTOR_H */
