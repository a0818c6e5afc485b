/*
 * source.c
 *	  The leaf-to-ancestor mapping shared by decoding and the snapshot scan.
 */
#include "postgres.h"

#include "connectors/source.h"

AttrMap *
source_map_build(TupleDesc leaf, TupleDesc ancestor)
{
	return build_attrmap_by_name_if_req(leaf, ancestor);
}

/* natts: the ancestor's; with no map, the leaf has the same layout. */
void
source_map_row(const AttrMap *map, int natts, const Datum *leafvalues,
			   const bool *leafnulls, Datum *values, bool *isnull)
{
	int			i;

	if (map == NULL)
	{
		memcpy(values, leafvalues, sizeof(Datum) * natts);
		memcpy(isnull, leafnulls, sizeof(bool) * natts);
		return;
	}
	for (i = 0; i < natts; i++)
	{
		AttrNumber	from = map->attnums[i];

		values[i] = from > 0 ? leafvalues[from - 1] : (Datum) 0;
		isnull[i] = from > 0 ? leafnulls[from - 1] : true;
	}
}
