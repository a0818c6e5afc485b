/*
 * vector.c
 *	  Vectors as float4[]: pathway.l2_distance, cosine_distance,
 *	  inner_product and l2_normalize, for nearest-neighbour views and plain
 *	  queries alike; and the engine's direct use of the same kernels (the
 *	  nearest-neighbour fast path of engine/lateral.c).
 *
 * A vector is a one-dimensional float4[] without NULLs; two vectors of a
 * distance must have the same length.  Anything else is an error naming
 * what is wrong (SQLSTATE class 22), never a guess.
 */
#include "postgres.h"

#include "access/tupmacs.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "engine/vector.h"

PG_FUNCTION_INFO_V1(pathway_l2_distance);
PG_FUNCTION_INFO_V1(pathway_cosine_distance);
PG_FUNCTION_INFO_V1(pathway_inner_product);
PG_FUNCTION_INFO_V1(pathway_l2_normalize);

/* The elements of a vector argument; its length in *n. */
static const float *
vector_arg(ArrayType *a, int *n)
{
	if (ARR_ELEMTYPE(a) != FLOAT4OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("a vector must be a float4[]")));
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("a vector must be a one-dimensional array, not one of %d dimensions",
						ARR_NDIM(a))));
	if (array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a vector must not contain NULL elements")));
	*n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
	return (const float *) ARR_DATA_PTR(a);
}

static void
same_length(int na, int nb)
{
	if (na != nb)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vectors of different lengths: %d and %d", na, nb),
				 errhint("Both vectors of a distance must have the same number of dimensions.")));
}

/* The two vector arguments of a distance, of the same length n. */
static void
two_vectors(FunctionCallInfo fcinfo, const float **a, const float **b, int *n)
{
	int			nb;

	*a = vector_arg(PG_GETARG_ARRAYTYPE_P(0), n);
	*b = vector_arg(PG_GETARG_ARRAYTYPE_P(1), &nb);
	same_length(*n, nb);
}

Datum
pathway_l2_distance(PG_FUNCTION_ARGS)
{
	const float *a,
			   *b;
	int			n;

	two_vectors(fcinfo, &a, &b, &n);
	PG_RETURN_FLOAT8(vector_l2_distance(a, b, n));
}

Datum
pathway_cosine_distance(PG_FUNCTION_ARGS)
{
	const float *a,
			   *b;
	int			n;

	two_vectors(fcinfo, &a, &b, &n);
	PG_RETURN_FLOAT8(vector_cosine_distance(a, b, n));
}

Datum
pathway_inner_product(PG_FUNCTION_ARGS)
{
	const float *a,
			   *b;
	int			n;

	two_vectors(fcinfo, &a, &b, &n);
	PG_RETURN_FLOAT8(vector_dot(a, b, n));
}

/* The vector scaled to length 1; the zero vector stays as it is. */
Datum
pathway_l2_normalize(PG_FUNCTION_ARGS)
{
	ArrayType  *in = PG_GETARG_ARRAYTYPE_P(0);
	int			n;
	const float *a = vector_arg(in, &n);
	double		norm = sqrt(vector_dot(a, a, n));
	Datum	   *out = palloc(sizeof(Datum) * (n + 1));
	int			i;

	for (i = 0; i < n; i++)
		out[i] = Float4GetDatum(norm > 0.0 ? (float) (a[i] / norm) : a[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, n, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT));
}


/* Which distance a function's C entry point computes; VECTOR_NONE if none. */
VectorKind
op_vector_kind(PGFunction fn)
{
	if (fn == pathway_l2_distance)
		return VECTOR_L2;
	if (fn == pathway_cosine_distance)
		return VECTOR_COSINE;
	if (fn == pathway_inner_product)
		return VECTOR_DOT;
	return VECTOR_NONE;
}

/* Two vector datums the kernels can take as they are; their length in *n. */
static bool
plain_vectors(Datum a, Datum b, int *n)
{
	ArrayType  *x = (ArrayType *) DatumGetPointer(a);
	ArrayType  *y = (ArrayType *) DatumGetPointer(b);

	if (VARATT_IS_EXTENDED(x) || VARATT_IS_EXTENDED(y) ||
		ARR_NDIM(x) != 1 || ARR_NDIM(y) != 1 || ARR_HASNULL(x) || ARR_HASNULL(y) ||
		ARR_ELEMTYPE(x) != FLOAT4OID || ARR_ELEMTYPE(y) != FLOAT4OID ||
		ARR_DIMS(x)[0] != ARR_DIMS(y)[0])
		return false;
	*n = ARR_DIMS(x)[0];
	return true;
}

/*
 * Is the l2 distance of two vectors certainly above 'dist'?  False when it
 * is not, or cannot be decided here.  The squared limit is raised by a
 * relative 1e-9 for the rounding of the square and the square root.
 */
bool
op_vector_l2_above(Datum a, bool anull, Datum b, bool bnull, double dist)
{
	int			n;

	if (anull || bnull || isnan(dist) || !plain_vectors(a, b, &n))
		return false;
	return vector_l2_squared_above((const float *) ARR_DATA_PTR((ArrayType *) DatumGetPointer(a)),
								   (const float *) ARR_DATA_PTR((ArrayType *) DatumGetPointer(b)),
								   n, dist * dist * (1.0 + 1e-9));
}

/* A vector datum's elements and their count; NULL when not a plain float4[] here. */
const float *
op_vector_floats(Datum a, bool anull, int *n)
{
	if (anull || !plain_vectors(a, a, n))
		return NULL;
	return (const float *) ARR_DATA_PTR((ArrayType *) DatumGetPointer(a));
}

/* The l2 norm of a vector datum; NaN when it cannot be computed here. */
double
op_vector_norm(Datum a, bool anull)
{
	int			n;
	const float *x;

	if (anull || !plain_vectors(a, a, &n))
		return NAN;
	x = (const float *) ARR_DATA_PTR((ArrayType *) DatumGetPointer(a));
	return sqrt(vector_dot(x, x, n));
}

/*
 * The distance of two vector datums as the SQL function would compute it;
 * false when this cannot be decided here (a NULL element, another
 * dimension count, lengths that differ: the function itself must run and
 * say so).  NULL in, NULL out, as the functions are strict.
 */
bool
op_vector_distance(VectorKind kind, Datum a, bool anull, Datum b, bool bnull,
				   double *dist, bool *isnull)
{
	ArrayType  *x = (ArrayType *) DatumGetPointer(a);
	ArrayType  *y = (ArrayType *) DatumGetPointer(b);
	int			n;

	if (anull || bnull)
	{
		*isnull = true;
		return true;
	}
	if (!plain_vectors(a, b, &n))
		return false;
	*isnull = false;
	switch (kind)
	{
		case VECTOR_L2:
			*dist = vector_l2_distance((const float *) ARR_DATA_PTR(x), (const float *) ARR_DATA_PTR(y), n);
			return true;
		case VECTOR_COSINE:
			*dist = vector_cosine_distance((const float *) ARR_DATA_PTR(x), (const float *) ARR_DATA_PTR(y), n);
			return true;
		case VECTOR_DOT:
			*dist = vector_dot((const float *) ARR_DATA_PTR(x), (const float *) ARR_DATA_PTR(y), n);
			return true;
		case VECTOR_NONE:
			break;
	}
	return false;
}
