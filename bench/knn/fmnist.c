/*
 * fmnist.c
 *	  Fashion-MNIST for bench/knn.sh: convert the IDX files to COPY text,
 *	  and compute the exact k-nearest-neighbour classification by brute
 *	  force (the machine's limit the live view is measured against).
 *
 *   fmnist copy IMAGES LABELS [N]   rows "id<TAB>{v,...}<TAB>label" (gzip'd IDX read through zcat)
 *   fmnist knn TRAIN_IMAGES TRAIN_LABELS TEST_IMAGES TEST_LABELS NQUERIES K [NTRAIN]
 *       prints "seconds accuracy" and writes "id<TAB>label" per query to
 *       fmnist-knn.out: the same answer as the live classifier (nearest by
 *       l2 distance, ties by the training row's id; the vote is the most
 *       frequent label, ties to the smallest, as mode() WITHIN GROUP).
 *
 * Pixels are 0..255 as float4, so every squared distance is an exact
 * integer in the kernel's partial sums: this program and PostgreSQL get
 * the same distances bit for bit (engine/vector.h is the one kernel).
 * Single-threaded, like the engine worker.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../engine/vector.h"

static unsigned char *
read_idx(const char *path, int *count, int *dim)
{
	char		cmd[4096];
	FILE	   *f;
	unsigned char hdr[16];
	int			ndims,
				i;
	size_t		total;
	unsigned char *data;

	snprintf(cmd, sizeof(cmd), "zcat '%s'", path);
	if ((f = popen(cmd, "r")) == NULL || fread(hdr, 1, 4, f) != 4)
	{
		fprintf(stderr, "fmnist: cannot read %s\n", path);
		exit(1);
	}
	ndims = hdr[3];
	*dim = 1;
	for (i = 0; i < ndims; i++)
	{
		unsigned char b[4];
		int			v;

		if (fread(b, 1, 4, f) != 4)
			exit(1);
		v = (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
		if (i == 0)
			*count = v;
		else
			*dim *= v;
	}
	total = (size_t) *count * *dim;
	data = malloc(total);
	if (fread(data, 1, total, f) != total)
	{
		fprintf(stderr, "fmnist: %s is short\n", path);
		exit(1);
	}
	pclose(f);
	return data;
}

static float *
as_floats(const unsigned char *px, int n, int dim)
{
	float	   *v = malloc(sizeof(float) * (size_t) n * dim);
	size_t		i;

	for (i = 0; i < (size_t) n * dim; i++)
		v[i] = px[i];
	return v;
}

typedef struct Hit
{
	double		dist;
	int			id;
} Hit;

static int
hit_before(const Hit *a, const Hit *b)
{
	return a->dist < b->dist || (a->dist == b->dist && a->id < b->id);
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "copy") == 0)
	{
		int			n,
					dim,
					nl,
					one,
					i,
					j,
					limit;
		unsigned char *px = read_idx(argv[2], &n, &dim);
		unsigned char *lb = read_idx(argv[3], &nl, &one);

		limit = argc > 4 ? atoi(argv[4]) : n;
		for (i = 0; i < n && i < limit; i++)
		{
			printf("%d\t{", i + 1);
			for (j = 0; j < dim; j++)
				printf(j ? ",%d" : "%d", px[(size_t) i * dim + j]);
			printf("}\t%d\n", lb[i]);
		}
		return 0;
	}
	if ((argc == 8 || argc == 9) && strcmp(argv[1], "knn") == 0)
	{
		int			ntr,
					dim,
					nte,
					dim2,
					one,
					q,
					i,
					j;
		unsigned char *trp = read_idx(argv[2], &ntr, &dim);
		unsigned char *trl = read_idx(argv[3], &ntr, &one);
		unsigned char *tep = read_idx(argv[4], &nte, &dim2);
		unsigned char *tel = read_idx(argv[5], &nte, &one);
		int			nq = atoi(argv[6]);
		int			k = atoi(argv[7]);
		float	   *tr = as_floats(trp, ntr, dim);
		float	   *te = as_floats(tep, nte, dim);
		Hit		   *top = malloc(sizeof(Hit) * (k + 1));
		int			correct = 0;
		struct timespec t0,
					t1;
		FILE	   *out = fopen("fmnist-knn.out", "w");

		if (nq > nte)
			nq = nte;
		if (argc == 9 && atoi(argv[8]) < ntr)
			ntr = atoi(argv[8]);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (q = 0; q < nq; q++)
		{
			int			n = 0;
			int			votes[256] = {0};
			int			best = 0;

			for (i = 0; i < ntr; i++)
			{
				Hit			h = {vector_l2_distance(tr + (size_t) i * dim, te + (size_t) q * dim, dim), i + 1};

				if (n == k && !hit_before(&h, &top[k - 1]))
					continue;
				j = n < k ? n++ : k - 1;
				while (j > 0 && hit_before(&h, &top[j - 1]))
				{
					top[j] = top[j - 1];
					j--;
				}
				top[j] = h;
			}
			for (i = 0; i < n; i++)
				votes[trl[top[i].id - 1]]++;
			for (i = 1; i < 256; i++)
				if (votes[i] > votes[best])
					best = i;
			correct += (best == tel[q]);
			fprintf(out, "%d\t%d\n", q + 1, best);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fclose(out);
		printf("%.3f %.4f\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
			   (double) correct / nq);
		return 0;
	}
	fprintf(stderr, "usage: fmnist copy IMAGES LABELS [N] | fmnist knn TRI TRL TEI TEL NQ K\n");
	return 2;
}
